"""Helpers shared by the scripts in ``benchmarks/``.

* :func:`machine_info` and :func:`versions`: what every results JSON records, so
  a number can be traced to the hardware, BLAS and library versions behind it.
* :class:`PeakRSS`: the peak resident memory a block of code adds on top of what
  the process already held when the block started (see its docstring for the
  method and why the data's generation is excluded).
* :func:`run_worker`: run one measurement in a fresh Python process and get its
  JSON result back, so allocator state, imported modules and cached arrays of
  one method cannot leak into another's numbers.
* :func:`mean_std`, :func:`fmt_mean_std`, :func:`markdown_table`: reporting.
* :func:`read_idx`: a minimal IDX reader (Fashion-MNIST's format), for when
  ``pixsmote.data`` is not importable.
"""

from __future__ import annotations

import gc
import gzip
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

import numpy as np

__all__ = [
    "MIB",
    "PeakRSS",
    "fmt_mean_std",
    "machine_info",
    "markdown_table",
    "mean_std",
    "read_idx",
    "rss_bytes",
    "run_worker",
    "versions",
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
    import importlib

    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "sklearn", "imblearn", "pixsmote", "psutil", *extra):
        try:
            out[name] = getattr(importlib.import_module(name), "__version__", "?")
        except ImportError:
            out[name] = None
    return out


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


# ---------------------------------------------------------------- reporting
def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def fmt_mean_std(values, digits: int = 2) -> str:
    m, s = mean_std(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured markdown table (numbers right-aligned)."""
    cells = [[str(c) for c in r] for r in rows]
    numeric = [
        bool(cells) and all(re.match(r"^([-+>]?\s*[\d.]|$)", r[i]) for r in cells)
        for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(lines)


# ---------------------------------------------------------------------- data
def read_idx(path) -> np.ndarray:
    """Read an IDX file (MNIST / Fashion-MNIST), gzipped or not."""
    types = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4"}
    path = Path(path)
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    with (gzip.open if gzipped else open)(path, "rb") as fh:
        data = fh.read()
    if data[:2] != b"\x00\x00" or data[2] not in types:
        raise ValueError(f"{path}: not an IDX file. Got header {data[:4].hex()!r}.")
    ndim = data[3]
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    dtype = np.dtype(types[data[2]])
    arr = np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))
