"""Suite-wide settings.

`make test` runs two pytest-xdist workers on a 2-core machine; letting each
worker's BLAS/OpenMP pools (scikit-learn's k-means, numpy's products) spawn one
thread per core oversubscribes the CPU (measured: the KMeans-SMOTE parity test
went from ~2 s to ~45 s under contention). One thread per worker.
"""

from threadpoolctl import threadpool_limits

threadpool_limits(limits=1)
