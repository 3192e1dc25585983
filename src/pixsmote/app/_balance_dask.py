"""``pixsmote balance --dask``: the balance pipeline on a dask.distributed cluster.

The driver (this process) lists the source, has the workers read the image
headers and decode only the images the sampler's neighbour space needs (chunk
by chunk, gathered to the driver), fits the plan, and names every output image
(:func:`~pixsmote.data.folder_layout`). It scatters nothing large: each task
carries its own file paths and, for synthesis, its slice of the plan (16 bytes
a row) with the parent indices remapped to the parents it reads; a sampler
with its own synthesis is sent once to each worker, as its networks only
(:meth:`~pixsmote.torch.DeepSMOTE.synthesizer`).

Workers copy (or convert) the originals and synthesise, encode and write the
new images, a chunk of rows per task. Synthetic rows are grouped by class and
base image (:func:`synthesis_groups`) so that a task reads each of its parents
once, a small class is one task, and a base image of a large class is read by
one task. Tasks write under a temporary prefix and
return the paths they wrote; the driver checks them against the layout,
writes ``manifest.csv`` and ``train_balanced.txt`` and commits the prefix
(:class:`~pixsmote.data.Staging`: a rename on a local disk, a copy with the
manifest last on an object store).

Pixels come from :func:`pixsmote.sampling.synthesize`, a pure row-wise function
of ``(X, plan)``, or, for a sampler that makes its own (DeepSMOTE decodes
latent codes, M2m translates images), from its ``synthesize``, pure in the same
way given its fitted networks, which are scattered to every worker once. Images
are decoded and encoded with the same Pillow calls, so the output is byte for
byte the single-process one for the same seed and source (a network's output
can differ in its last float bits with the batch it runs in, so a decoded pixel
may, rarely, round one grey level apart). A task that dies with its worker is
run again by Dask (its writes are idempotent: the same bytes to the same
paths).

dask.distributed is imported only here, and only when a run asks for it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import time
import uuid
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError, PixsmoteError, UsageError
from pixsmote._signals import checkpoint, holding_signals
from pixsmote.app._balance_dataset import (
    BalanceResult,
    _by_name,
    _made_by,
    _sampler_params,
    _warnings_by_name,
    parse_strategy,
)
from pixsmote.data import (
    Dataset,
    Staging,
    decode_bytes,
    folder_layout,
    is_local,
    is_url,
    list_file_bytes,
    list_folder,
    load_dataset,
    manifest_bytes,
    marker_bytes,
    open_url,
    png_bytes,
    probe_bytes,
    progress_bar,
    read_files,
    source_from_dataset,
    source_from_probes,
    write_files,
)
from pixsmote.sampling import SAMPLERS, Plan, get_sampler, list_samplers, synthesize

__all__ = [
    "DASK_EXTRA",
    "balance_on_dask",
    "dask_client",
    "parse_dask_address",
    "synthesis_groups",
]

#: What to install for ``--dask``.
DASK_EXTRA = "pip install 'pixsmote[distributed]'"

_ADDRESS = re.compile(r"(tcp|tls|ws|wss|ucx)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?/?")
_LOCAL = re.compile(r"local:(\d+)")

# Task key prefixes (they show on the Dask dashboard, and a test kills the
# worker running the first synthesis task).
_KEYS = ("pixsmote-probe", "pixsmote-decode", "pixsmote-copy", "pixsmote-synthesize")

# Seconds to wait for a first worker of a scheduler that has none.
_WORKER_WAIT_S = 30

# Bytes read from the head of a file to find its mode and size: PNG and JPEG
# headers are far smaller; a file whose header does not fit is read whole.
_HEADER_BYTES = 64 * 1024


def parse_dask_address(text: str) -> tuple[str, int | str]:
    """Parse ``--dask``: ``"local:N"`` -> ``("local", N)``, a scheduler address
    such as ``"tcp://host:8786"`` -> ``("scheduler", text)``.

    Parameters
    ----------
    text : str
        ``tcp://host:port`` or ``local:N``.

    Raises
    ------
    UsageError
        For anything else (one line, CLI exit status 2).
    """
    text = str(text).strip()
    local = _LOCAL.fullmatch(text)
    if local and int(local[1]) >= 1:
        return "local", int(local[1])
    if _ADDRESS.fullmatch(text):
        return "scheduler", text
    raise UsageError(
        "--dask must be a scheduler address (tcp://host:8786) or local:N (N >= 1 "
        f"worker processes on this machine). Got {text!r} instead."
    )


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UsageError(
            f"--dask needs dask.distributed: {DASK_EXTRA}. Got no 'distributed' "
            "module instead."
        ) from None
    return distributed


@contextlib.contextmanager
def dask_client(address: str, *, timeout: float = 30.0):
    """A ``distributed.Client`` for `address`, closed (with its cluster) at the end.

    Parameters
    ----------
    address : str
        ``tcp://host:port`` (or ``tls://``, ``ws://``, ``ucx://``) of a running
        scheduler, or ``local:N``: a ``LocalCluster`` of N worker processes of
        one thread each, on this machine, for the duration of the block.
    timeout : float, default=30
        Seconds to wait for the scheduler.

    Raises
    ------
    UsageError
        A malformed address, or dask.distributed not installed.
    DataError
        The scheduler could not be reached in `timeout` seconds.
    """
    kind, value = parse_dask_address(address)
    distributed = _distributed()
    if kind == "local":
        cluster = distributed.LocalCluster(
            n_workers=value, threads_per_worker=1, processes=True,
            # a free port: 8787 is often taken by another cluster on the machine
            dashboard_address=":0", silence_logs=logging.ERROR,
        )  # fmt: skip
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(value, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(
            f"Cannot reach the Dask scheduler at {value} within {timeout:g} s "
            f"({reason}). Expected a running scheduler (dask scheduler) at that "
            "address."
        ) from None
    try:
        yield client
    finally:
        client.close()


# -------------------------------------------------------------- worker tasks
# Module-level functions: workers import them by name, so they must live in
# the installed package (a remote cluster needs pixsmote on every worker).


def _probe_task(fs, files, verify):
    """``(mode, height, width)`` per file, or the DataError of an unreadable one."""
    out = []
    for path in files:
        try:
            data = fs.cat_file(path, start=None if verify else 0,
                               end=None if verify else _HEADER_BYTES)  # fmt: skip
            try:
                out.append(probe_bytes(path, data, verify))
            except DataError:
                if verify or len(data) < _HEADER_BYTES:
                    raise
                out.append(probe_bytes(path, fs.cat_file(path), verify))
        except DataError as exc:
            out.append(exc)
    return out


def _decode(fs, files, mode, size, fit) -> np.ndarray:
    blobs = read_files(fs, files)
    return np.stack(
        [decode_bytes(p, b, mode, size, fit) for p, b in zip(files, blobs, strict=True)]
    )


def _decode_task(fs, files, mode, size, fit):
    return _decode(fs, files, mode, size, fit)


def _copy_task(fs, files, copyable, verify, mode, size, fit, fs_out, targets, level):
    """Write originals: byte for byte when copyable (decoded once to check them
    unless already verified), else converted and encoded as PNG."""
    blobs = read_files(fs, files)
    items = []
    for path, data, copy, target in zip(files, blobs, copyable, targets, strict=True):
        if copy:
            if not verify:
                probe_bytes(path, data, verify=True)  # fail on a corrupt file now
            items.append((target, data))
        else:
            items.append((target, png_bytes(decode_bytes(path, data, mode, size, fit),
                                            level)))  # fmt: skip
    write_files(fs_out, items)
    return targets


def _synthesize_task(fs, parents, mode, size, fit, plan, fs_out, targets, level,
                     sampler=None):  # fmt: skip
    """Read each parent once, synthesise the rows of `plan` (whose indices point
    into `parents`), encode and write them. `sampler`: a fitted sampler with its
    own ``synthesize`` (DeepSMOTE decodes, M2m translates), else pixels are
    interpolated."""
    make = synthesize if sampler is None else sampler.synthesize
    pixels = make(_decode(fs, parents, mode, size, fit), plan)
    write_files(
        fs_out,
        [(t, png_bytes(p, level)) for t, p in zip(targets, pixels, strict=True)],
    )
    return targets


def _running(client, token: str) -> int:
    """Tasks of the run `token` still executing on some worker (a cancelled
    task runs to its end: Dask cannot interrupt a thread)."""

    def executing(dask_worker):
        return sum(token in str(ts.key) for ts in dask_worker.state.executing)

    try:
        return sum(client.run(executing).values())
    except Exception:  # a worker gone, the cluster closing: nothing to wait on
        return 0


# ------------------------------------------------------------------ driver


def _fit(method, source, read, *, sampling_strategy, params):
    """The plan of :func:`~pixsmote.app.balance`, with the same decoding rule:
    a class-local over-sampler sees only the classes it over-samples; and the
    fitted sampler when it makes its own pixels (else None)."""
    from imblearn.utils import check_sampling_strategy

    spec = SAMPLERS[method]
    y, counts = source.y, source.counts
    names = list(source.class_names)  # for messages: "class 'dog'", not 1
    if np.count_nonzero(counts) < 2:
        raise UsageError(
            f"{source.name}: balancing needs at least 2 classes with images. Got "
            f"{np.count_nonzero(counts)} instead."
        )
    class_local = spec.local_to_classes(params)
    try:
        if class_local:
            to_add = check_sampling_strategy(sampling_strategy, y, "over-sampling")
            targets = {int(c): int(counts[c] + n) for c, n in to_add.items() if n > 0}
            sub = np.flatnonzero(np.isin(y, list(targets)))
            if len(targets) == 1:
                other = np.flatnonzero(~np.isin(y, list(targets)))[:1]
                sub = np.sort(np.concatenate([sub, other]))
            sampler = get_sampler(method, sampling_strategy=targets, **params)
        else:
            sub = np.arange(len(source))
            sampler = get_sampler(method, sampling_strategy=sampling_strategy, **params)
        if len(sub):
            with _warnings_by_name(names):
                kept_sub, plan = sampler.fit_plan(read(sub), y[sub])
        else:
            kept_sub, plan = np.empty(0, np.int64), None
    except PixsmoteError:
        raise
    except ValueError as exc:
        raise UsageError(f"{method}: {_by_name(str(exc), names)}") from None
    except RuntimeError as exc:
        raise DataError(f"{method}: {_by_name(str(exc), names)}") from None
    kept_sub = np.asarray(kept_sub, dtype=np.int64)
    first = np.zeros(len(kept_sub), dtype=bool)
    first[np.unique(kept_sub, return_index=True)[1]] = True
    duplicates = sub[kept_sub[~first]]
    kept = np.arange(len(source)) if class_local else sub[kept_sub[first]]
    if plan is not None and not len(plan):
        plan = None
    # As balance: a sampler with its own synthesis makes the pixels. Its
    # synthesize is a pure function of the parents' pixels, the plan and the
    # fitted networks, so workers run it on their part of the plan.
    own = None
    if plan is not None and hasattr(sampler, "synthesize"):
        own = sampler.synthesizer()  # the networks, not the per-image state
    return sub, kept, duplicates, plan, own


def _chunks(n: int, rows: int):
    return [slice(a, min(n, a + rows)) for a in range(0, n, rows)]


def synthesis_groups(cls, base, rows: int) -> list[np.ndarray]:
    """Split plan rows into tasks of at most `rows` rows that share parents.

    A class with at most `rows` synthetic rows goes whole into one task
    (small classes are packed together), so its parents are read once; a
    larger class is split into near-equal tasks of consecutive base images,
    so a base is read by one task and only neighbours by several.

    Returns
    -------
    list of numpy.ndarray of int64
        Row indices of each task, sorted; together every row exactly once.
    """
    cls = np.asarray(cls)
    order = np.lexsort((np.asarray(base), cls))
    starts = np.flatnonzero(np.r_[True, cls[order][1:] != cls[order][:-1]])
    bounds = [*starts.tolist(), len(order)]
    groups: list[np.ndarray] = []
    pack: list[np.ndarray] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a > rows:
            parts = math.ceil((b - a) / rows)
            groups += [np.sort(p) for p in np.array_split(order[a:b], parts)]
            continue
        if sum(len(p) for p in pack) + (b - a) > rows:
            groups.append(np.sort(np.concatenate(pack)))
            pack = []
        pack.append(order[a:b])
    if pack:
        groups.append(np.sort(np.concatenate(pack)))
    return groups


class _Run:
    """The futures of one run, submitted and collected with a progress bar."""

    def __init__(self, client, token):
        self.client = client
        self.token = token
        self.futures = []

    def submit(self, kind, fn, *args):
        key = f"{kind}-{self.token}-{len(self.futures)}"
        future = self.client.submit(fn, *args, key=key, pure=False)
        self.futures.append(future)
        return future

    def gather(self, futures, desc, progress, weights=None):
        """Results in submission order; the first failure raises."""
        distributed = _distributed()
        weights = weights or [1] * len(futures)
        index = {f.key: i for i, f in enumerate(futures)}
        results = [None] * len(futures)
        # The wait is on the client's event-loop thread: a signal waits for
        # the next finished task (see pixsmote._signals).
        with progress_bar(sum(weights), desc, enabled=progress) as bar:
            with holding_signals():
                for future in distributed.as_completed(futures):
                    i = index[future.key]
                    results[i] = future.result()
                    bar(weights[i])
                    checkpoint()
        return results


def _check_memory(client, *filesystems) -> None:
    """``memory://`` lives in one process: refuse workers in other processes."""
    if not any("memory" in getattr(fs, "protocol", ()) for fs in filesystems):
        return
    pids = set(client.run(os.getpid).values())
    if pids - {os.getpid()}:
        raise UsageError(
            "memory:// is private to one process. Expected a cluster whose workers "
            "run in this process (distributed.Client(processes=False)). Got "
            f"{len(pids)} worker process(es) elsewhere instead."
        )


def _import_here() -> str:
    """Run on each worker: import the task functions (and pixsmote)."""
    import pixsmote.app._balance_dask as module

    return module.__name__


def _warm_up(client) -> None:
    """Import pixsmote on every worker at once, before the first task.

    A fresh worker spends seconds importing pixsmote and its libraries
    (measured: about 4 s for each worker's first task on a busy 2-core
    machine); left to the first tasks, the imports can run one worker after
    the other, done here they overlap.
    A worker that cannot import pixsmote is reported now, in one line.
    """
    try:
        client.wait_for_workers(1, timeout=_WORKER_WAIT_S)
    except (TimeoutError, OSError):
        raise DataError(
            f"The Dask cluster has no worker (waited {_WORKER_WAIT_S} s). Expected "
            "at least one worker connected to the scheduler. Got none instead."
        ) from None
    try:
        client.run(_import_here)
    except ImportError as exc:
        raise UsageError(
            f"The Dask workers cannot import pixsmote ({exc}). Expected pixsmote "
            "installed on every worker. Got workers without it instead."
        ) from None


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (e.g. a KilledWorker, an OSError of s3fs)."""
    reason = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def _n_workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def _open_source(src, storage_options, *, mode, size, fit, skip_bad, run, progress,
                 rows):  # fmt: skip
    """The FolderSource of `src`: a Dataset as it is, a local path read here,
    a URL listed here with its headers probed by the workers."""
    if isinstance(src, Dataset):
        return source_from_dataset(src)
    if not is_url(src):
        return source_from_dataset(
            load_dataset(src, mode=mode, size=size, fit=fit, skip_bad=skip_bad)
        )
    fs, root = open_url(src, storage_options)
    files, relpaths, labels, class_names = list_folder(fs, root)
    futures = [
        run.submit(_KEYS[0], _probe_task, fs, files[s], skip_bad)
        for s in _chunks(len(files), rows)
    ]
    probes = [
        p
        for part in run.gather(futures, f"reading headers of {src}", progress)
        for p in part
    ]
    if not skip_bad:
        bad = [p for p in probes if isinstance(p, DataError)]
        if bad:
            raise bad[0]
    return source_from_probes(
        fs, root, files, relpaths, labels, class_names, probes, mode=mode,
        size=size, fit=fit, verified=skip_bad, name=str(src),
    )  # fmt: skip


def balance_on_dask(
    src,
    dst,
    method: str = "smote",
    *,
    client,
    storage_options: dict | None = None,
    sampling_strategy="auto",
    k_neighbors: int | str = 5,
    neighbor_space: str = "pixel",
    sampler_params: dict | None = None,
    seed: int = 0,
    overwrite: bool = False,
    mode: str | None = None,
    size=None,
    fit: str = "resize",
    skip_bad: bool = False,
    chunk_size: int | None = None,
    compress_level: int = 1,
    progress: bool | None = None,
) -> BalanceResult:
    """Resample a folder dataset with the sampler `method` on a Dask cluster.

    The output is the one :func:`~pixsmote.app.balance` writes for the same
    source and seed, byte for byte (files, pixels, manifest); see the module
    docstring for how the work is split.

    Parameters
    ----------
    src : str, path-like or Dataset
        A folder of class sub-folders at an fsspec URL (``s3://bucket/data``,
        ``gs://...``, ``memory://...``, ``file://...``), a local folder or list
        file, or a file-backed :class:`~pixsmote.data.Dataset`.
    dst : str or path-like
        The output folder, a URL or a local path (not a ``.npz``).
    method : str, default="smote"
        A name of :func:`pixsmote.sampling.list_samplers`.
    client : distributed.Client
        From :func:`dask_client` or your own. Its workers must import
        pixsmote and reach `src` and `dst`; for ``memory://`` they must run
        in this process.
    storage_options : dict, optional
        fsspec options of both `src` and `dst` (e.g. ``{"anon": True}``,
        ``{"endpoint_url": ...}``). s3fs also reads ``AWS_ENDPOINT_URL`` and
        the credential variables, on each worker from its own environment.
    sampling_strategy, k_neighbors, neighbor_space, sampler_params, seed, overwrite
        As in :func:`~pixsmote.app.balance`. A sampler that makes its own
        pixels (DeepSMOTE, M2m) is fitted here and sent to the workers, which
        then need torch.
    mode, size, fit, skip_bad
        How a URL source is read, as in :func:`~pixsmote.data.load_dataset`.
    chunk_size : int, optional
        Images per task (default: the work spread over about four tasks per
        worker, between 16 and 512 images each).
    compress_level : int, default=1
        PNG compression of the images written.
    progress : bool or None
        Progress bars (None: when stderr is a terminal).

    Returns
    -------
    BalanceResult
        `dst` and `manifest` are paths for a local destination, URLs otherwise.

    Raises
    ------
    UsageError, DataError
        As :func:`~pixsmote.app.balance`; a failed run leaves no output at
        `dst`, and its message says whether the temporary prefix was removed.
    """
    start = time.perf_counter()
    if method not in SAMPLERS:
        raise UsageError(
            f"method must be one of {list_samplers()}. Got {method!r} instead."
        )
    sampling_strategy = parse_strategy(sampling_strategy)
    try:
        url_out = is_url(os.fspath(dst))
        fs_out, out_path = open_url(dst, storage_options)
        src_fs = src_root = None
        if isinstance(src, Dataset):
            src_root = None if src.root is None else str(src.root)
            src_fs = fs_out if is_local(fs_out) else None
        elif is_url(os.fspath(src)):
            src_fs, src_root = open_url(src, storage_options)
        else:
            src_root = str(Path(src).absolute())
            src_fs = fs_out if is_local(fs_out) else None
        # Refuse a bad destination before anything is read.
        staging = Staging(fs_out, out_path, overwrite=overwrite, source_fs=src_fs,
                          source_root=src_root)  # fmt: skip
        _check_memory(client, fs_out, *([src_fs] if src_fs is not None else []))
        _warm_up(client)
    except PixsmoteError:
        raise
    except Exception as exc:  # the store refused (credentials, bucket, network)
        raise DataError(_one_line(exc)) from None

    run = _Run(client, uuid.uuid4().hex[:10])
    workers = _n_workers(client)
    opened = False
    try:
        rows = chunk_size or 256
        source = _open_source(
            src, storage_options, mode=mode, size=size, fit=fit, skip_bad=skip_bad,
            run=run, progress=progress, rows=max(rows, 256),
        )  # fmt: skip
        decode = source.decode_options

        def read(indices):
            futures = [
                run.submit(_KEYS[1], _decode_task, source.fs,
                           [source.files[i] for i in indices[s]], *decode)
                for s in _chunks(len(indices), rows)
            ]  # fmt: skip
            return np.concatenate(run.gather(futures, "decoding", progress))

        # One dict for the fit and for the marker's record of it.
        params = _sampler_params(seed, k_neighbors, neighbor_space, sampler_params)
        sub, kept, duplicates, plan, own = _fit(
            method, source, read, sampling_strategy=sampling_strategy, params=params
        )
        # Sent once to every worker, not pickled into each task.
        own_f = None if own is None else client.scatter(own, broadcast=True, hash=False)
        n_syn = 0 if plan is None else len(plan)
        layout = folder_layout(
            source, kept, duplicates, "ros",
            labels=[] if plan is None else plan.cls,
            parent_a=[] if plan is None else sub[plan.base],
            parent_b=[] if plan is None else sub[plan.neighbor],
            gap=[] if plan is None else plan.effective_gap,
            method=method,
        )  # fmt: skip
        n_out = len(layout.rows)
        if chunk_size is None:
            rows = int(min(512, max(16, math.ceil(n_out / (4 * workers)))))
        staging.open(layout.folders)
        opened = True
        tmp = staging.tmp

        futures, weights, expected = [], [], []
        originals = np.concatenate([kept, duplicates]).astype(np.int64)
        targets = layout.original + layout.duplicate
        for s in _chunks(len(originals), rows):
            idx = originals[s]
            out = [f"{tmp}/{t}" for t in targets[s]]
            futures.append(run.submit(
                _KEYS[2], _copy_task, source.fs, [source.files[i] for i in idx],
                source.copyable[idx].tolist(), source.verified, *decode, fs_out, out,
                compress_level,
            ))  # fmt: skip
            weights.append(len(idx))
            expected += out
        if n_syn:
            for r in synthesis_groups(plan.cls, plan.base, rows):
                part = plan[r]
                parents, inverse = np.unique(
                    np.concatenate([part.base, part.neighbor]), return_inverse=True
                )
                local = Plan(
                    cls=part.cls, base=inverse[: len(r)], neighbor=inverse[len(r) :],
                    gap=part.gap, scale=part.scale,
                )  # fmt: skip
                out = [f"{tmp}/{layout.synthetic[j]}" for j in r]
                futures.append(run.submit(
                    _KEYS[3], _synthesize_task, source.fs,
                    [source.files[i] for i in sub[parents]], *decode, local, fs_out,
                    out, compress_level, own_f,
                ))  # fmt: skip
                weights.append(len(r))
                expected += out
        written = run.gather(futures, f"writing {Path(out_path).name}", progress,
                             weights)  # fmt: skip
        done = [p for part in written for p in part]
        if sorted(done) != sorted(expected):  # a lost or doubled task is a bug
            raise RuntimeError(
                f"workers wrote {len(done)} images; the layout has {len(expected)}"
            )
        write_files(fs_out, [
            (f"{tmp}/train_balanced.txt", list_file_bytes(layout.rows)),
            (f"{tmp}/.pixsmote.json", marker_bytes(
                source.class_names, _made_by(method, sampling_strategy, params)
            )),
            (f"{tmp}/manifest.csv", manifest_bytes(layout.rows)),
        ])  # fmt: skip
        staging.commit()
    except BaseException as exc:
        # Cancel what has not run; let running tasks end before removing the
        # prefix they write to.
        with contextlib.suppress(Exception):
            client.cancel(run.futures)
        if not opened:
            if isinstance(exc, PixsmoteError) or not isinstance(exc, Exception):
                raise
            raise DataError(_one_line(exc)) from None
        deadline = time.monotonic() + 30
        while _running(client, run.token) and time.monotonic() < deadline:
            time.sleep(0.2)
        removed = staging.abort()
        note = (
            f"Removed the partial output {staging.tmp}."
            if removed
            else f"Left the partial output {staging.tmp}; remove it."
        )
        if isinstance(exc, PixsmoteError):
            raise type(exc)(f"{exc} {note}") from None
        if isinstance(exc, Exception):
            raise DataError(f"{_one_line(exc)}. {note}") from None
        raise

    syn_labels = np.asarray([] if plan is None else plan.cls, dtype=np.int64)
    y_out = np.concatenate([source.y[kept], source.y[duplicates], syn_labels])
    dst_out: Path | str
    manifest: Path | str
    if url_out:
        dst_out = f"{os.fspath(dst).rstrip('/')}"
        manifest = f"{dst_out}/manifest.csv"
    else:
        dst_out = Path(out_path)
        manifest = dst_out / "manifest.csv"
    return BalanceResult(
        dst=dst_out,
        manifest=manifest,
        method=method,
        class_names=list(source.class_names),
        counts_before=source.counts,
        counts_after=np.bincount(y_out.astype(np.int64), minlength=source.n_classes),
        n_synthetic=len(duplicates) + n_syn,
        n_copies=len(duplicates),
        n_removed=len(source) - len(kept),
        n_decoded=len(sub),
        time_s=time.perf_counter() - start,
        skipped=list(source.skipped),
    )
