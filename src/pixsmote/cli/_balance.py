"""``pixsmote balance SRC --out DST``: resample a dataset and write it to disk.

Only the classes a class-local sampler (smote, ros) over-samples are decoded;
the other originals are copied file to file and synthetic images are written
in chunks by a pool of threads. The output appears at DST only when complete.
With ``--dask ADDRESS`` the same work (and the same output, byte for byte) is
done by the workers of a Dask cluster, from and to fsspec URLs.
"""

from __future__ import annotations

import argparse
import os
import sys

from pixsmote.cli._source_options import (
    NO_AUTO_DEFAULT,
    add_source_arguments,
    load_source,
    print_skipped,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    from pixsmote.app import balance_methods, latent_plan_methods

    summaries = balance_methods()
    methods = "; ".join(f"{n}: {summary}" for n, summary in summaries.items())
    p = subparsers.add_parser(
        "balance",
        help="oversample (or undersample) a dataset and write it to a folder or .npz",
        description="Balance an image dataset with a sampler of the registry and "
        "write originals, synthetic images, manifest.csv (provenance of every "
        "image) and train_balanced.txt to DST, or arrays and a manifest when DST "
        f"ends in .npz. Methods: {methods}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_source_arguments(p)
    g = p.add_argument_group("output")
    g.add_argument(
        "--out", metavar="DST", required=True,
        help="output folder, or a .npz file (its manifest goes beside it)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    g.add_argument(
        "--overwrite", action="store_true",
        help="replace DST if it exists (only once the new output is complete)",
    )  # fmt: skip
    g.add_argument(
        "--link", action="store_true",
        help="hard-link unchanged originals instead of copying them",
    )  # fmt: skip
    g.add_argument(
        "--chunk-size", type=int, default=None, metavar="N",
        help="synthetic images produced at a time (default: ~64 MiB of pixels)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s = p.add_argument_group("sampling")
    s.add_argument(
        "--method", choices=list(summaries), default="smote", metavar="NAME",
        help=f"sampler: {', '.join(summaries)}",
    )  # fmt: skip
    s.add_argument(
        "--strategy", default="auto",
        help="sampling_strategy: auto, minority, not minority, not majority, all, "
        "a float ratio, per-class targets CLASS:COUNT,... ('cat:100,dog:250', a "
        "class by name or index) or a JSON object",
    )  # fmt: skip
    s.add_argument(
        "--k-neighbors", type=_k_neighbors, default=5, metavar="K",
        help="neighbours (for the samplers that take it), or 'auto': at most the "
        "class size - 1",
    )  # fmt: skip
    s.add_argument(
        "--kmeans-clusters", type=int, default=None, metavar="N",
        help="kmeans-smote: number of k-means clusters (default: the sampler's)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s.add_argument(
        "--cluster-balance-threshold", default=None, metavar="T",
        help="kmeans-smote: share of a cluster the class must hold for it to be "
        "used, or 'auto' (default: auto)" + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s.add_argument(
        "--synthetic-share", type=float, default=None, metavar="S",
        help="SMOTE family, deepsmote: give every class, the largest too, the same "
        "share S in (0, 1) of synthetic images: copies up to the target, then "
        "S / (1 - S) times as many synthetic ones (default: none, as in "
        "imbalanced-learn)" + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s.add_argument(
        "--deepsmote-penalty", choices=("paper", "released"), default=None,
        metavar="MODE",
        help="deepsmote: the permutation penalty as the paper describes it (paper) "
        "or as the released code computes it (released) (default: the sampler's, "
        "paper)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s.add_argument(
        "--deepsmote-decoding", choices=("direct", "residual"), default=None,
        metavar="MODE",
        help="deepsmote: a synthetic image is the decoded interpolated code "
        "(direct), or its real base image plus the decoder's change towards that "
        "code (residual: keeps the base's detail) (default: the sampler's, direct)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s.add_argument(
        "--deepsmote-smote", choices=latent_plan_methods(), default=None,
        metavar="METHOD",
        help="deepsmote: which SMOTE draws the plan among the codes, e.g. "
        "svm-smote (its SVM and neighbours then in latent space) (default: the "
        "paper's SMOTE)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s.add_argument(
        "--neighbor-space", choices=("pixel", "pca"), default="pixel",
        help="space in which neighbours are searched",
    )  # fmt: skip
    d = p.add_argument_group(
        "distributed",
        "Needs the extra: pip install 'pixsmote[distributed]'.",
    )
    d.add_argument(
        "--dask", metavar="ADDRESS", default=None,
        help="run on a Dask cluster: a scheduler address (tcp://host:8786) or "
        "local:N (N worker processes here); SRC and DST may then be fsspec URLs "
        "(s3://bucket/folder, gs://..., file://...) and the output is the same, "
        "byte for byte" + NO_AUTO_DEFAULT,
    )  # fmt: skip
    d.add_argument(
        "--storage-options", metavar="JSON", default=None,
        help="fsspec options of URL sources and destinations, a JSON object "
        "(e.g. '{\"anon\": true}'); s3fs also reads AWS_ENDPOINT_URL and the AWS "
        "credential variables" + NO_AUTO_DEFAULT,
    )  # fmt: skip
    d.add_argument(
        "--dask-timeout", type=float, default=30.0, metavar="S",
        help="how long to wait for the scheduler",
    )  # fmt: skip
    p.set_defaults(run=run)
    return p


def _k_neighbors(text: str):
    """``--k-neighbors``: a positive integer or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'auto'. Got {text!r} instead."
        ) from None


def _sampler_params(args) -> dict:
    """KMeans-SMOTE's, DeepSMOTE's and the SMOTE family's own options, for
    those methods only."""
    from pixsmote._errors import UsageError

    params = {}
    if args.kmeans_clusters is not None:
        if args.kmeans_clusters < 1:
            raise UsageError(
                "--kmeans-clusters must be at least 1. Got "
                f"{args.kmeans_clusters} instead."
            )
        params["kmeans_estimator"] = args.kmeans_clusters
    if args.cluster_balance_threshold is not None:
        text = args.cluster_balance_threshold
        if text != "auto":
            try:
                text = float(text)
            except ValueError:
                raise UsageError(
                    "--cluster-balance-threshold must be 'auto' or a number in "
                    f"[0, 1]. Got {text!r} instead."
                ) from None
        params["cluster_balance_threshold"] = text
    if params and args.method != "kmeans-smote":
        raise UsageError(
            "--kmeans-clusters and --cluster-balance-threshold apply to "
            f"--method kmeans-smote only. Got --method {args.method} instead."
        )
    deep = {
        key: value
        for key, value in (
            ("penalty_mode", args.deepsmote_penalty),
            ("decoding", args.deepsmote_decoding),
            ("smote", args.deepsmote_smote),
        )
        if value is not None
    }
    if deep and args.method != "deepsmote":
        raise UsageError(
            "--deepsmote-penalty, --deepsmote-decoding and --deepsmote-smote apply "
            "to --method "
            f"deepsmote only. Got --method {args.method} instead."
        )
    params.update(deep)
    share = args.synthetic_share
    if share is not None:
        from pixsmote.app import share_methods

        takers = share_methods()
        if args.method not in takers:
            raise UsageError(
                f"--synthetic-share applies to --method {', '.join(takers)}. Got "
                f"--method {args.method} instead."
            )
        if not 0 < share < 1:
            raise UsageError(
                f"--synthetic-share must lie strictly between 0 and 1. Got {share} "
                "instead."
            )
        params["synthetic_share"] = share
    return params


def _storage_options(text):
    import json

    from pixsmote._errors import UsageError

    if text is None:
        return None
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--storage-options must be a JSON object ({exc}). Got {text!r} instead."
        ) from None
    if not isinstance(options, dict):
        raise UsageError(
            f"--storage-options must be a JSON object. Got {text!r} instead."
        )
    return options


def _print_result(args, result) -> None:
    from pixsmote.data import format_counts

    print(format_counts(result.class_names, result.counts_before, result.counts_after))
    print(
        f"\n{args.method}: {int(result.counts_before.sum())} -> "
        f"{int(result.counts_after.sum())} images "
        f"(+{result.n_synthetic - result.n_copies} synthetic, "
        f"+{result.n_copies} copies, "
        f"-{result.n_removed} removed; {result.n_decoded} decoded) in "
        f"{result.time_s:.1f} s"
    )
    print(f"written: {result.dst}")
    print(f"manifest: {result.manifest}")


def _run_dask(args) -> int:
    """``--dask``: the same pipeline, its work done by the cluster's workers."""
    from pixsmote._errors import UsageError
    from pixsmote.app import balance_on_dask, dask_client, parse_dask_address
    from pixsmote.data import check_destination, is_url

    parse_dask_address(args.dask)  # a malformed address fails before any work
    sampler_params = _sampler_params(args)
    options = _storage_options(args.storage_options)
    if args.link:
        raise UsageError(
            "--link hard-links files on one disk. Expected no --link with --dask. "
            "Got both instead."
        )
    if args.dask_timeout <= 0:
        raise UsageError(
            f"--dask-timeout must be positive. Got {args.dask_timeout} instead."
        )
    if not is_url(args.out):
        check_destination(args.out, overwrite=args.overwrite)
    if is_url(args.src):
        src = args.src  # listed here, its headers read by the workers
    else:
        src = load_source(args)
        print_skipped(src, sys.stderr)
    with dask_client(args.dask, timeout=args.dask_timeout) as client:
        result = balance_on_dask(
            src, args.out, args.method, client=client, storage_options=options,
            sampling_strategy=args.strategy, k_neighbors=args.k_neighbors,
            neighbor_space=args.neighbor_space, sampler_params=sampler_params,
            seed=args.seed, overwrite=args.overwrite, mode=args.mode,
            size=args.size, fit=args.fit, skip_bad=args.skip_bad,
            chunk_size=args.chunk_size,
        )  # fmt: skip
    if is_url(args.src) and result.skipped:
        print(f"skipped {len(result.skipped)} unreadable file(s):", file=sys.stderr)
        for _, reason in result.skipped:
            print(f"  {reason}", file=sys.stderr)
    _print_result(args, result)
    return 0


def run(args) -> int:
    from pixsmote._errors import UsageError
    from pixsmote.app import balance
    from pixsmote.data import check_destination

    if args.k_neighbors != "auto" and args.k_neighbors < 1:
        raise UsageError(
            f"--k-neighbors must be at least 1. Got {args.k_neighbors} instead."
        )
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UsageError(
            f"--chunk-size must be at least 1. Got {args.chunk_size} instead."
        )
    if args.dask is not None:
        return _run_dask(args)
    if args.storage_options is not None:
        raise UsageError(
            "--storage-options apply to URLs, which need --dask. Got "
            "--storage-options without --dask instead."
        )
    # Fail before reading a large dataset; `balance` checks again with the
    # dataset (an output that would replace its own input).
    sampler_params = _sampler_params(args)
    check_destination(
        args.out,
        overwrite=args.overwrite,
        source=args.src if os.path.exists(args.src) else None,
        root=args.root,
    )
    dataset = load_source(args)
    print_skipped(dataset, sys.stderr)
    result = balance(
        dataset,
        args.out,
        args.method,
        sampling_strategy=args.strategy,
        k_neighbors=args.k_neighbors,
        neighbor_space=args.neighbor_space,
        sampler_params=sampler_params,
        seed=args.seed,
        overwrite=args.overwrite,
        jobs=args.jobs,
        link=args.link,
        chunk_size=args.chunk_size,
        progress=args.progress,
    )
    _print_result(args, result)
    return 0
