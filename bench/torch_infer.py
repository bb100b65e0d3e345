"""Seed-MLP inference latency in PyTorch (eval, no_grad) at batch 1 and 64: numpy in, forward, numpy out."""

from torch_common import context, emit, latency, load_mnist, parse_args, peak_rss_mb, plan, setup_torch

args = parse_args()
torch = setup_torch(args)
import numpy as np  # noqa: E402

nn = torch.nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 250), nn.ReLU(), nn.Linear(250, 10)).eval()
images, _ = load_mnist(args.mnist, np)
ctx = context(torch, args)
for batch in (1, 64):
    data = images[:batch].copy()

    def call():
        with torch.no_grad():
            return model(torch.from_numpy(data)).numpy()

    p = plan(args.quick, warmup=50, windows=5, window_ms=600)
    med, p99 = latency(call, p)
    emit(f"mlp.infer.b{batch}.median", med, "ms", ctx, batch=batch, runs=p["windows"])
    emit(f"mlp.infer.b{batch}.p99", p99, "ms", ctx, batch=batch, runs=p["windows"])
emit("mlp.infer.peak_rss", peak_rss_mb(), "MB", ctx)
