"""Balance a dataset with a registered sampler and write the result to disk.

The ``pixsmote balance`` pipeline: it joins the sampler registry
(:mod:`pixsmote.sampling`) with the readers and writers of :mod:`pixsmote.data`.

The labels are known before any pixel is decoded, so the sampling strategy is
resolved on the label counts first. A *class-local* sampler (SMOTE, random
over-sampling: see ``SamplerSpec.class_local``) then only sees the classes it
over-samples, so only those are decoded; the originals of the other classes are
copied file to file. Synthetic pixels are produced in chunks from the plan and
written by a pool of threads. Memory is thus bounded by the over-sampled
classes plus a few chunks, not by the dataset.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError, PixsmoteError, UsageError
from pixsmote.data import (
    Dataset,
    Synthetic,
    check_destination,
    progress_bar,
    status_line,
    write_output,
)
from pixsmote.sampling import (
    SAMPLERS,
    Plan,
    get_sampler,
    list_samplers,
    synthesize,
)

__all__ = ["BalanceResult", "balance", "balance_methods", "parse_strategy"]


def balance_methods() -> dict[str, str]:
    """The samplers ``balance`` takes: registry name -> one-line summary."""
    return {name: SAMPLERS[name].summary for name in list_samplers()}


def latent_plan_methods() -> list[str]:
    """The samplers that can draw DeepSMOTE's plan among its codes (its
    ``smote``): those that synthesise and take feature vectors."""
    return list_samplers(synthetic=True, images_only=False)


def share_methods() -> list[str]:
    """The samplers ``balance`` takes that have a ``synthetic_share``.

    Those whose extra is not installed (DeepSMOTE without PyTorch) are left
    out: they are not a choice here.
    """
    names = []
    for name in list_samplers():
        try:
            if SAMPLERS[name].takes_synthetic_share:
                names.append(name)
        except UsageError:
            pass
    return names


#: The named sampling strategies (imbalanced-learn's).
STRATEGY_NAMES = ("auto", "minority", "not minority", "not majority", "all", "majority")

_STRATEGY_CHOICES = (
    "one of auto, minority, not minority, not majority, all, majority; a float "
    "ratio minority/majority (e.g. 0.5); per-class targets CLASS:COUNT,... "
    "(e.g. 'cat:100,dog:250', a class by name or index); or a JSON object "
    "('{\"cat\": 100}')"
)


def _strategy_error(text) -> UsageError:
    return UsageError(
        f"--strategy (sampling_strategy) must be {_STRATEGY_CHOICES}. Got {text!r} "
        "instead."
    )


def parse_strategy(text, class_names=None):
    """A sampling strategy from its command-line text.

    ``"auto"``, ``"minority"``, ... stay as they are; ``"0.5"`` becomes a
    float; ``"cat:100,dog:250"`` and the JSON object ``'{"cat": 100}'``
    become ``{label: count}`` dicts, a class given by its name in
    `class_names` or by its index. A dict or float passes through (a dict's
    keys resolved the same way).

    Parameters
    ----------
    text : str, float or dict
        The ``--strategy`` value.
    class_names : list of str, optional
        Names a per-class target may use for its class.

    Raises
    ------
    UsageError
        Anything else, explaining the choices.
    """
    if isinstance(text, str):
        stripped = text.strip()
        if stripped in STRATEGY_NAMES:
            return stripped
        try:
            return float(stripped)
        except ValueError:
            pass
        if stripped.startswith("{"):
            try:
                targets = json.loads(stripped)
            except ValueError:
                raise _strategy_error(text) from None
            if not isinstance(targets, dict):
                raise _strategy_error(text)
        elif ":" in stripped:
            targets = {}
            for item in filter(None, (t.strip() for t in stripped.split(","))):
                key, sep, value = item.rpartition(":")
                if not sep or not key.strip():
                    raise _strategy_error(text)
                targets[key.strip()] = value.strip()
        else:
            raise _strategy_error(text)
        return _resolve_targets(targets, class_names, text)
    if isinstance(text, dict):
        return _resolve_targets(text, class_names, text)
    return text


def _resolve_targets(targets: dict, class_names, text) -> dict[int, int]:
    names = list(class_names or [])
    out = {}
    for key, value in targets.items():
        if isinstance(key, str) and key in names:
            label = names.index(key)
        else:
            try:
                label = int(key)
            except (TypeError, ValueError):
                label = -1
            if names and not 0 <= label < len(names):
                raise UsageError(
                    f"--strategy names a class {key!r} the dataset does not have. "
                    f"Expected a class name or index of {names}. Got {text!r} "
                    "instead."
                )
        try:
            count = int(value)
        except (TypeError, ValueError):
            count = -1
        if count < 0 or str(value).strip() != str(count):
            raise UsageError(
                f"--strategy targets must be image counts >= 0. Got {value!r} for "
                f"class {key!r} in {text!r} instead."
            )
        out[label] = count
    if not out:
        raise _strategy_error(text)
    return out


def _by_name(message: str, class_names: list[str]) -> str:
    """A sampler's "Class 1 ..." as "Class 'dogs' ..." where the class has a name."""

    def name(m):
        i = int(m.group(2))
        if 0 <= i < len(class_names) and class_names[i] != str(i):
            return f"{m.group(1)} {class_names[i]!r}"
        return m.group(0)

    return re.sub(r"\b([Cc]lass) (\d+)\b", name, message)


@contextlib.contextmanager
def _warnings_by_name(class_names: list[str]):
    """Re-issue the sampler's warnings with class names for its indices.

    The app hands samplers labels 0..C-1; a user knows the classes by their
    folder (or list-file) names, so "class 2 gets 18 of the 40 synthetic
    samples" is said as "class 'fox' gets ...". Recorded inside, re-issued
    outside, so the caller's filters (``-W error``, the CLI's one-line
    display) apply to the renamed message.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        warnings.warn_explicit(
            _by_name(str(w.message), class_names), w.category, w.filename, w.lineno
        )


# The sampler parameters imbalanced-learn names in its advice, and the CLI
# options that set them.
_CLI_OPTIONS = {
    "cluster_balance_threshold": "--cluster-balance-threshold",
    "the number of clusters": "--kmeans-clusters",
    "k_neighbors='auto'": "--k-neighbors auto",
}


def _cli_advice(message: str) -> str:
    named = [opt for key, opt in _CLI_OPTIONS.items() if key in message]
    if not named:
        return message
    return f"{message} (command line: {', '.join(named)})"


@dataclass
class BalanceResult:
    """What :func:`balance` did.

    Attributes
    ----------
    dst, manifest : pathlib.Path or str
        The output and its manifest: URLs (str) for a URL destination of
        :func:`balance_on_dask`, paths otherwise.
    method : str
    class_names : list of str
    counts_before, counts_after : numpy.ndarray of int64
    n_synthetic : int
        Synthetic rows written (ROS copies included).
    n_copies : int
        Of those, copies of originals (random over-sampling's, or the copies
        of a ``synthetic_share``): rows of gap 0 and method ``ros``.
    n_removed : int
        Originals left out (under-sampling, cleaning).
    n_decoded : int
        Images decoded to run the sampler.
    time_s : float
    skipped : list of (pathlib.Path, str)
        Input files left out by ``skip_bad``.
    """

    dst: Path | str
    manifest: Path | str
    method: str
    class_names: list[str]
    counts_before: np.ndarray
    counts_after: np.ndarray
    n_synthetic: int
    n_removed: int
    n_decoded: int
    time_s: float
    n_copies: int = 0
    skipped: list = field(default_factory=list)


def balance(
    dataset: Dataset,
    dst,
    method: str = "smote",
    *,
    sampling_strategy="auto",
    k_neighbors: int | str = 5,
    neighbor_space: str = "pixel",
    sampler_params: dict | None = None,
    seed: int = 0,
    overwrite: bool = False,
    jobs: int | None = None,
    link: bool = False,
    chunk_size: int | None = None,
    progress: bool | None = None,
    client=None,
    storage_options: dict | None = None,
) -> BalanceResult:
    """Resample `dataset` with the sampler `method` and write it to `dst`.

    Parameters
    ----------
    dataset : Dataset
        From :func:`~pixsmote.data.load_dataset`; file-backed datasets are
        decoded only as far as the sampler needs.
    dst : path-like
        A folder (class sub-folders, ``manifest.csv``, ``train_balanced.txt``)
        or a ``.npz`` file (with ``<name>.manifest.csv`` beside it).
    method : str, default="smote"
        A name of :func:`pixsmote.sampling.list_samplers`.
    sampling_strategy : str, float or dict, default="auto"
        As in imbalanced-learn, or the text forms of :func:`parse_strategy`
        (``"cat:100,dog:250"``, a JSON object; classes by name or index).
    k_neighbors : int or "auto", default=5
        Neighbours for the samplers that take it.
    neighbor_space : {"pixel", "pca"}, default="pixel"
    sampler_params : dict, optional
        More parameters of the sampler (e.g. KMeans-SMOTE's
        ``kmeans_estimator`` and ``cluster_balance_threshold``).
    seed : int, default=0
        The sampler's ``random_state``.
    overwrite : bool, default=False
        Replace an existing `dst`.
    jobs : int, optional
        Decoding and writing threads.
    link : bool, default=False
        Hard-link unchanged originals instead of copying them.
    chunk_size : int, optional
        Synthetic images produced at a time.
    progress : bool or None
        Progress bars (None: when stderr is a terminal).
    client : distributed.Client, optional
        Run on this Dask cluster instead (:func:`~pixsmote.app.balance_on_dask`):
        the same output, byte for byte. `dataset` may then also be a folder
        URL (``s3://...``) and `dst` a URL; `jobs` and `link` do not apply.
    storage_options : dict, optional
        fsspec options of URL sources and destinations (with `client`).

    Returns
    -------
    BalanceResult
    """
    from imblearn.utils import check_sampling_strategy

    if client is not None:
        from pixsmote.app._balance_dask import balance_on_dask

        return balance_on_dask(
            dataset, dst, method, client=client, storage_options=storage_options,
            sampling_strategy=sampling_strategy, k_neighbors=k_neighbors,
            neighbor_space=neighbor_space, sampler_params=sampler_params,
            seed=seed, overwrite=overwrite, chunk_size=chunk_size,
            progress=progress,
        )  # fmt: skip
    if storage_options is not None:
        raise UsageError(
            "storage_options need a Dask client (client=...). Got storage_options "
            "without one instead."
        )
    start = time.perf_counter()
    if method not in SAMPLERS:
        raise UsageError(
            f"method must be one of {list_samplers()}. Got {method!r} instead."
        )
    spec = SAMPLERS[method]
    dst = Path(dst).absolute()
    check_destination(dst, overwrite=overwrite, source=dataset)
    strategy_given = sampling_strategy
    try:
        sampling_strategy = parse_strategy(sampling_strategy, dataset.class_names)
    except UsageError as exc:
        raise UsageError(f"{method}: {exc}") from None
    y = dataset.y
    counts = dataset.counts
    if np.count_nonzero(counts) < 2:
        raise UsageError(
            f"{dataset.name}: balancing needs at least 2 classes with images. Got "
            f"{np.count_nonzero(counts)} instead."
        )
    params = _sampler_params(seed, k_neighbors, neighbor_space, sampler_params)

    class_local = spec.local_to_classes(params)
    try:
        if class_local:
            # The sampler only looks at the classes it over-samples: resolve the
            # strategy on the counts and decode just those classes.
            to_add = check_sampling_strategy(sampling_strategy, y, "over-sampling")
            targets = {int(c): int(counts[c] + n) for c, n in to_add.items() if n > 0}
            sub = np.flatnonzero(np.isin(y, list(targets)))
            if len(targets) == 1:
                # Samplers need two classes in y; one image of another class,
                # with nothing to add to it, changes nothing for a class-local one.
                other = np.flatnonzero(~np.isin(y, list(targets)))[:1]
                sub = np.sort(np.concatenate([sub, other]))
            sampler = get_sampler(method, sampling_strategy=targets, **params)
        else:
            # Border, cluster, density and cleaning samplers look at every class
            # (neighbours across classes), so everything has to be decoded.
            sub = np.arange(len(dataset))
            sampler = get_sampler(method, sampling_strategy=sampling_strategy, **params)
        if len(sub) == len(dataset) and not dataset.is_file_backed:
            X_sub = dataset.X  # already in memory: no copy
        elif len(sub):
            _check_memory(dataset, len(sub), method)
            with progress_bar(len(sub), "decoding", enabled=progress) as bar:
                X_sub = dataset.read(sub, jobs=jobs, progress=bar)
        if len(sub):
            desc = f"{method}: fitting on {len(sub)} images (neighbours, plan)"
            with status_line(desc, enabled=progress), _warnings_by_name(
                dataset.class_names
            ):
                kept_sub, plan = sampler.fit_plan(X_sub, y[sub])
        else:  # nothing to over-sample
            kept_sub, plan = np.empty(0, np.int64), None
    except PixsmoteError:
        raise
    except ValueError as exc:  # the sampler refused its parameters for this data
        text = _cli_advice(_by_name(str(exc), dataset.class_names))
        raise UsageError(f"{method}: {text}") from None
    except RuntimeError as exc:  # e.g. KMeans-SMOTE finding no usable cluster
        text = _cli_advice(_by_name(str(exc), dataset.class_names))
        raise DataError(f"{method}: {text}") from None

    kept_sub = np.asarray(kept_sub, dtype=np.int64)
    # Repeated indices are random over-sampling's copies: the first occurrence
    # is the original, later ones are written as gap-0 synthetic rows.
    first = np.zeros(len(kept_sub), dtype=bool)
    first[np.unique(kept_sub, return_index=True)[1]] = True
    duplicates = sub[kept_sub[~first]]
    if class_local:
        kept = np.arange(len(dataset))  # every original stays
    else:
        kept = sub[kept_sub[first]]
    synthetic = None
    if plan is not None and len(plan):
        # A sampler with its own synthesis (DeepSMOTE decodes latent codes)
        # makes the pixels; the others interpolate them.
        synth = getattr(sampler, "synthesize", synthesize)
        synthetic = _synthetic(X_sub, plan, sub, method, synth)
    result = write_output(
        dataset, dst, kept,
        # only random over-sampling repeats an original
        duplicates=duplicates, duplicates_method="ros",
        synthetic=synthetic, overwrite=overwrite,
        jobs=jobs, link=link, chunk_size=chunk_size, progress=progress,
        made_by=_made_by(method, strategy_given, params),
    )  # fmt: skip
    return BalanceResult(
        dst=result.dst,
        manifest=result.manifest,
        method=method,
        class_names=list(dataset.class_names),
        counts_before=counts,
        counts_after=np.bincount(result.y, minlength=dataset.n_classes),
        n_synthetic=len(duplicates) + (0 if synthetic is None else len(plan)),
        n_copies=len(duplicates),
        n_removed=len(dataset) - len(kept),
        n_decoded=len(sub),
        time_s=time.perf_counter() - start,
        skipped=list(dataset.skipped),
    )


def _sampler_params(seed, k_neighbors, neighbor_space, more=None) -> dict:
    """The sampler's parameters of a ``balance`` call (local or Dask)."""
    # get_sampler hands k_neighbors and neighbor_space to SMOTE-ENN/Tomek's
    # inner SMOTE too.
    params: dict[str, object] = dict(random_state=seed, k_neighbors=k_neighbors)
    params["neighbor_space"] = neighbor_space
    params.update(more or {})
    return params


def _made_by(method: str, sampling_strategy, params: dict) -> dict:
    """How ``balance`` made an output, for its marker: the method, the strategy
    as given and the sampler's parameters (its seed is ``random_state``),
    JSON-safe. The local and the Dask path record the same for the same call,
    so their outputs stay byte-identical."""

    def safe(value):
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, dict):
            return {str(k): safe(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [safe(v) for v in value]
        return repr(value)  # an estimator or callable: its description

    return {
        "command": "balance",
        "method": method,
        "sampling_strategy": safe(sampling_strategy),
        "params": {k: safe(v) for k, v in sorted(params.items())},
    }


def _check_memory(dataset: Dataset, n: int, method: str) -> None:
    """Refuse to decode more images than the free memory holds."""
    try:
        import psutil

        available = psutil.virtual_memory().available
    except Exception:  # psutil missing or unsupported here: no check
        return
    per_image = int(np.prod(dataset.image_shape)) * dataset.dtype.itemsize
    needed = n * per_image
    if needed > available:
        shape = "x".join(map(str, dataset.image_shape))
        raise DataError(
            f"{method} needs {n} images of {shape} decoded at once: "
            f"{needed / 2**30:.1f} GiB of memory, and {available / 2**30:.1f} GiB "
            "is available. Pass a smaller --size, or balance fewer classes. Got "
            f"{n} images instead."
        )


def _synthetic(
    X: np.ndarray, plan: Plan, index: np.ndarray, method: str, synth=synthesize
) -> Synthetic:
    """The writer's view of ``synthesize(X, plan)``: provenance now, pixels later.

    `index` maps a row of `X` to its dataset index (the manifest names parents
    by dataset index); pixels are synthesised one chunk at a time as the writer
    asks for them.
    """

    def chunks(step: int):
        for a in range(0, len(plan), step):
            yield synth(X, plan[a : a + step])

    return Synthetic(
        labels=np.asarray(plan.cls, dtype=np.int64),
        parent_a=index[plan.base],
        parent_b=index[plan.neighbor],
        gap=plan.effective_gap,
        method=method,
        chunks=chunks,
    )
