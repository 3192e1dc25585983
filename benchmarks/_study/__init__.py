"""The study report, in three steps: :mod:`.load` (run folders -> tables of
scores), :mod:`.rank` (pure comparisons: best-of, level/better/worse, which
method to advise) and :mod:`.render` (Markdown, through :mod:`pixsmote.report`'s
statistics and table writer; figures in :mod:`.figures`, the README paragraph
in :mod:`.which`).

How the benchmark scripts import each other: they are scripts, run as
``python benchmarks/<name>.py``; Python puts the script's folder first on
``sys.path``, so siblings (``_common``, ``study``, ``_study``) import by name and
no script edits ``sys.path``. The test suite puts ``benchmarks/`` on its path
through pytest's ``pythonpath`` setting (``pyproject.toml``).
"""
