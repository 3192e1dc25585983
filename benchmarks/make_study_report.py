"""Write docs/benchmarks.md from the study's run folders (no hand-typed numbers).

Reads ``benchmarks/results/study/`` (``results.json``, ``metrics.csv``,
``config.json`` of every run, ``runlog.jsonl``, ``machine.json``,
``combos.json``), DeepSMOTE's reported rows from ``docs/protocol.md``, and
``benchmarks/results/resample_cost*.json`` and ``synthetic_overlap.json`` when
present, and writes:

* ``docs/benchmarks.md`` -- the report, with the matrix's coverage;
* ``docs/figures/study-*.png`` -- small figures (curves, per-class recall,
  synthetic-image grids);
* ``benchmarks/results/which_method.md`` -- the "Which method should I use?"
  paragraph for the README (and README.md's copy of it, between its markers).

It writes nothing else: the study's configuration and ``combos.json`` are only
read. The work is done by the ``_study`` package (load, rank, render).

Usage::

    python benchmarks/make_study_report.py [--no-grids]
    python benchmarks/make_study_report.py --results DIR --config TOML --out DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import study
from _study import load as study_load
from _study.figures import Figures
from _study.render import render
from _study.which import update_readme, which_method

ROOT = study_load.ROOT
DOCS = ROOT / "docs"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-grids", action="store_true", help="skip synthetic grids")
    p.add_argument(
        "--results", type=Path, default=study.RESULTS, help="the study's results"
    )
    p.add_argument("--config", type=Path, default=study.CONFIG, help="study.toml")
    p.add_argument(
        "--out",
        type=Path,
        help="write benchmarks.md, figures/ and which_method.md into this folder "
        "(and leave README.md alone); default: docs/ and benchmarks/results/",
    )
    args = p.parse_args(argv)

    cfg = study.load_config(args.config)
    s = study_load.load(cfg, args.results)
    doc_dir = args.out or DOCS
    text, headline = render(s, Figures(doc_dir / "figures", grids=not args.no_grids))
    doc = doc_dir / "benchmarks.md"
    which_path = (args.out or study.HERE / "results") / "which_method.md"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
    which = which_method(s, headline).rstrip() + "\n"
    which_path.write_text(which)
    print(f"wrote {s.path_label(doc)} and {s.path_label(which_path)}")
    readme = ROOT / "README.md"
    if args.out is None and update_readme(readme, which):
        print(f"updated the which-method section of {s.path_label(readme)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
