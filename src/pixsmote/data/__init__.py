"""Image datasets in and out: readers, built-in datasets, protocol splits, writers.

Readers (:func:`load_dataset`) take a folder of class sub-folders, a list file
of ``path label`` lines, a ``.npz`` of ``X``/``y`` arrays, or a built-in name
(``digits``, ``fashion-mnist`` and the protocol splits of :func:`load_split`).
File-backed datasets decode lazily (:meth:`Dataset.read`). Writers put
datasets into folders or ``.npz`` files atomically, with a provenance manifest;
new images reach them as ready pixel chunks (:class:`Synthetic`), so this
package knows nothing of how they were made (resampling lives in
:mod:`pixsmote.app`). :func:`check_destination` holds the rules for where an
output may go.
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
    check_destination,
    manifest_path_for,
)
from pixsmote.data._folder import read_folder, scan_folder
from pixsmote.data._io import (
    FITS,
    IMAGE_EXTENSIONS,
    MODES,
    decode_image,
    encode_png,
    parse_size,
)
from pixsmote.data._listfile import parse_list_file, read_list_file
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
    "show_progress",
    "status_line",
]
