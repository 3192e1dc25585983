"""Image datasets in and out: readers, built-in datasets, protocol splits, writers.

Readers (:func:`load_dataset`) take a folder of class sub-folders, a list file
of ``path label`` lines, a ``.npz`` of ``X``/``y`` arrays, or a built-in name
(``digits``, ``fashion-mnist`` and the protocol splits of :func:`load_split`).
File-backed datasets decode lazily (:meth:`Dataset.read`). Writers put
datasets into folders or ``.npz`` files atomically, with a provenance manifest;
new images reach them as ready pixel chunks (:class:`Synthetic`), so this
package knows nothing of how they were made (resampling lives in
:mod:`pixsmote.app`). :func:`check_destination` holds the rules for where an
output may go. Folders at fsspec URLs (``s3://``, ``memory://``, ...) are
listed, read, laid out and committed by the functions of ``_fs``
(:class:`FolderSource`, :func:`folder_layout`, :class:`Staging`), which a
distributed run uses.
"""

from pixsmote.data._builtin import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR,
    load_digits,
    load_fashion_mnist,
    read_idx,
)
from pixsmote.data._dataset import Dataset, Split, default_jobs
from pixsmote.data._destination import (
    MANIFEST_NAME,
    MARKER_NAME,
    NPZ_MARKER_KEY,
    check_destination,
    check_run_folder,
    is_pixsmote_output,
    manifest_path_for,
    read_marker,
    read_output_marker,
    write_marker,
)
from pixsmote.data._folder import read_folder, scan_folder
from pixsmote.data._fs import (
    FolderSource,
    decode_bytes,
    is_local,
    is_url,
    list_folder,
    open_url,
    png_bytes,
    probe_bytes,
    read_files,
    source_from_dataset,
    source_from_probes,
    write_files,
)
from pixsmote.data._fs_output import (
    FolderLayout,
    Staging,
    folder_layout,
    list_file_bytes,
    manifest_bytes,
    marker_bytes,
)
from pixsmote.data._io import (
    FITS,
    IMAGE_EXTENSIONS,
    MODES,
    decode_image,
    encode_png,
    parse_size,
)
from pixsmote.data._listfile import format_list_line, parse_list_file, read_list_file
from pixsmote.data._load import BUILTIN_DATASETS, list_builtin, load_dataset
from pixsmote.data._manifest import (
    MANIFEST_COLUMNS,
    ManifestRow,
    read_manifest,
    write_manifest,
)
from pixsmote.data._npz import read_npz
from pixsmote.data._progress import progress_bar, show_progress, status_line
from pixsmote.data._splits import SPLITS, SplitSpec, list_splits, load_split
from pixsmote.data._summary import (
    DatasetSummary,
    describe_dataset,
    format_counts,
    format_summary,
)
from pixsmote.data._writer import (
    LIST_FILE_NAME,
    Synthetic,
    WriteResult,
    atomic_output,
    class_folder_names,
    write_dataset,
    write_output,
)

__all__ = [
    # containers
    "Dataset",
    "Split",
    # reading
    "load_dataset",
    "load_split",
    "list_splits",
    "list_builtin",
    "read_folder",
    "scan_folder",
    "read_list_file",
    "parse_list_file",
    "format_list_line",
    "read_npz",
    "read_idx",
    "load_digits",
    "load_fashion_mnist",
    "decode_image",
    "parse_size",
    "SPLITS",
    "SplitSpec",
    "BUILTIN_DATASETS",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "IMAGE_EXTENSIONS",
    "MODES",
    "FITS",
    # describing
    "DatasetSummary",
    "describe_dataset",
    "format_summary",
    "format_counts",
    # writing
    "check_destination",
    "check_run_folder",
    "is_pixsmote_output",
    "read_marker",
    "read_output_marker",
    "write_marker",
    "MARKER_NAME",
    "NPZ_MARKER_KEY",
    "write_dataset",
    "write_output",
    "Synthetic",
    "WriteResult",
    "atomic_output",
    "class_folder_names",
    "manifest_path_for",
    "encode_png",
    "MANIFEST_COLUMNS",
    "MANIFEST_NAME",
    "LIST_FILE_NAME",
    "ManifestRow",
    "read_manifest",
    "write_manifest",
    "default_jobs",
    "progress_bar",
    # folders at fsspec URLs (distributed runs)
    "FolderLayout",
    "FolderSource",
    "Staging",
    "decode_bytes",
    "folder_layout",
    "is_local",
    "is_url",
    "list_file_bytes",
    "list_folder",
    "manifest_bytes",
    "marker_bytes",
    "open_url",
    "png_bytes",
    "probe_bytes",
    "read_files",
    "source_from_dataset",
    "source_from_probes",
    "write_files",
    "show_progress",
    "status_line",
]
