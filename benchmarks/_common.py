"""Helpers shared by the scripts in ``benchmarks/``.

* :func:`machine_info` and :func:`versions`: what every results JSON records, so
  a number can be traced to the hardware, BLAS and library versions behind it.
* :class:`PeakRSS`: the peak resident memory a block of code adds on top of what
  the process already held when the block started (see its docstring for the
  method and why the data's generation is excluded).
* :func:`run_worker`: run one measurement in a fresh Python process and get its
  JSON result back, so allocator state, imported modules and cached arrays of
  one method cannot leak into another's numbers.
* :func:`fmt_mean_std`: a mean ± std cell; tables, statistics and the IDX
  reader come from pixsmote itself (:func:`pixsmote.report.markdown_table`,
  :func:`pixsmote.report.mean_std`, :func:`pixsmote.data.read_idx`).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from pixsmote._runfolder import versions as run_versions
from pixsmote.report import mean_std

__all__ = [
    "labels_of",
    "MIB",
    "PeakRSS",
    "fmt_mean_std",
    "machine_info",
    "rss_bytes",
    "run_worker",
    "versions",
    "write_json",
]

MIB = 2**20
#: A worker prints its result on one stdout line starting with this marker, so
#: library chatter (warnings, progress) on stdout cannot break the parsing.
RESULT_MARKER = "@@RESULT@@ "


# ------------------------------------------------------------------ machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """CPU model, core counts, RAM, OS and the BLAS numpy runs on."""
    import psutil

    info = {
        "cpu_model": _cpu_model(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 2),
        "os": platform.platform(),
        "hostname": platform.node(),
        # Thread counts and OpenBLAS' kernel choice change GEMM speed; record them.
        "env": {
            k: os.environ.get(k)
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
                "MKL_NUM_THREADS",
            )
        },
    }
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {
                k: p.get(k)
                for k in ("internal_api", "version", "num_threads", "architecture")
            }
            for p in threadpool_info()
        ]
    except ImportError:  # threadpoolctl comes with scikit-learn; just in case
        pass
    return info


def versions(*extra: str) -> dict:
    """Versions of Python and the numeric stack (plus any ``extra`` modules)."""
    stack = ("numpy", "scipy", "sklearn", "imblearn", "pixsmote", "psutil")
    return run_versions(*stack, *extra)


# ------------------------------------------------------------------- memory
def rss_bytes() -> int:
    """Current resident set size of this process."""
    import psutil

    return psutil.Process().memory_info().rss


def _vm_hwm_bytes() -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(m.group(1)) * 1024 if m else None


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


class PeakRSS:
    """Peak RSS added by the ``with`` block over the RSS at its start.

    Method. On entry: ``gc.collect()``, record the current RSS as the baseline,
    then reset the kernel's high-water mark (``VmHWM``) to the current RSS by
    writing ``5`` to ``/proc/self/clear_refs``. On exit, ``VmHWM`` is then the
    exact peak of the block, however short-lived the allocation. Because the mark
    is reset, whatever the process held before (for instance the temporaries of
    generating the benchmark data) does not count, unlike ``ru_maxrss``, which is
    a lifetime peak. As a cross-check, and as the fallback where ``clear_refs``
    is unavailable, a background thread samples the RSS every ``interval`` s
    (it may miss spikes shorter than that); without ``clear_refs`` the
    ``ru_maxrss`` lifetime peak is also used when it rose during the block.

    Attributes (after the block)
    ----------------------------
    baseline, peak, extra : int
        Bytes: RSS at entry, peak RSS during the block, ``peak - baseline``.
    sampled_peak : int
        The sampling thread's peak (a lower bound of the true peak).
    method : str
        ``"vmhwm"`` or ``"sampled"``.
    """

    def __init__(self, interval: float = 0.005):
        self.interval = interval

    def __enter__(self):
        gc.collect()
        self.baseline = rss_bytes()
        self._ru0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self._hwm_ok = _reset_hwm() and _vm_hwm_bytes() is not None
        self.sampled_peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        import psutil

        proc = psutil.Process()
        while not self._stop.is_set():
            self.sampled_peak = max(self.sampled_peak, proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sampled_peak = max(self.sampled_peak, rss_bytes())
        if self._hwm_ok:
            self.peak = max(_vm_hwm_bytes(), self.sampled_peak)
            self.method = "vmhwm"
        else:
            ru1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.peak = max(self.sampled_peak, ru1 if ru1 > self._ru0 else 0)
            self.method = "sampled"
        self.extra = self.peak - self.baseline
        return False


# ------------------------------------------------------------------ workers
def emit_result(result: dict) -> None:
    """Print a worker's result for :func:`run_worker` to pick up."""
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_worker(args: list[str], timeout: float | None = None) -> dict:
    """Run ``python *args`` in a fresh process and return what it emitted.

    The child inherits the environment (thread counts, ``OPENBLAS_CORETYPE``).
    Raises ``RuntimeError`` with the child's stderr tail if it fails or emits
    nothing.
    """
    cmd = [sys.executable, *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            result = json.loads(line[len(RESULT_MARKER) :])
            result["process_wall_s"] = wall
            return result
    raise RuntimeError(
        f"worker {' '.join(args)} failed with exit code {proc.returncode}:\n"
        f"{proc.stderr[-3000:]}"
    )


def write_json(path: Path, doc: dict) -> None:
    """Write a benchmark's result file atomically (a temporary file renamed into
    place, so an interrupted run leaves the previous result) and say where."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)
    print(f"wrote {path}")


def finish(path: Path, result: dict, started: float | None = None,
           extra: tuple[str, ...] = ("torch",)) -> dict:
    """Stamp a benchmark's result with its wall time (since the
    ``time.perf_counter()`` value `started`, if given), the machine and the
    versions (plus `extra` modules), write it (:func:`write_json`), return it."""
    if started is not None:
        result["wall_s"] = time.perf_counter() - started
    result["machine"] = machine_info()
    result["versions"] = versions(*extra)
    write_json(path, result)
    return result


# ---------------------------------------------------------------- reporting
def fmt_mean_std(values, digits: int = 2) -> str:
    """``"m ± s"`` of the finite values (:func:`pixsmote.report.mean_std`)."""
    m, s, _ = mean_std(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


# ------------------------------------------------------------------ splits
def labels_of(split):
    """``(classes, conv)``: a split's classes, and ``conv(part) -> (X, y)`` with
    the labels mapped to 0..C-1 in the training set's order."""
    import numpy as np

    classes = np.unique(np.asarray(split.train.y))
    lut = {int(c): i for i, c in enumerate(classes)}

    def conv(ds):
        return np.asarray(ds.X), np.array([lut[int(v)] for v in np.asarray(ds.y)])

    return classes, conv
