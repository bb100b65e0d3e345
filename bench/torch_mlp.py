"""Seed MLP training samples/s in PyTorch: 784-500-250-10 ReLU, cross-entropy, SGD lr 0.01 momentum 0.9, batch 100."""

from torch_common import Batches, context, emit, load_mnist, parse_args, peak_rss_mb, plan, setup_torch, throughput

args = parse_args()
torch = setup_torch(args)
import numpy as np  # noqa: E402

nn = torch.nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 250), nn.ReLU(), nn.Linear(250, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
batches = Batches(torch, *load_mnist(args.mnist, np), 100, [784])


def step():
    x, y = batches.next()
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


p = plan(args.quick)
ctx = context(torch, args)
emit("mlp.train", throughput(step, 100, p), "samples/s", ctx, batch=100, runs=p["windows"])
emit("mlp.train.peak_rss", peak_rss_mb(), "MB", ctx, batch=100)
