"""Suite-wide settings.

`make test` runs two pytest-xdist workers on a 2-core machine; letting each
worker's BLAS/OpenMP pools (scikit-learn's k-means, numpy's products) spawn one
thread per core oversubscribes the CPU (measured: the KMeans-SMOTE parity test
went from ~2 s to ~45 s under contention). One thread per worker.
"""

from threadpoolctl import threadpool_limits

threadpool_limits(limits=1)

try:  # same for PyTorch's intra-op pool (measured: 100 small-cnn steps on 8x8
    # images took 2.2 s with one thread, 23 s with two, under two xdist workers)
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a hard dependency
    pass
