"""CNN training samples/s in PyTorch: conv3x3x32-relu-maxpool2-conv3x3x64-relu-maxpool2-dense128-dense10, Adam, batch 64."""

from torch_common import Batches, context, emit, load_mnist, parse_args, peak_rss_mb, plan, setup_torch, throughput

args = parse_args()
torch = setup_torch(args)
import numpy as np  # noqa: E402

nn = torch.nn
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(64 * 5 * 5, 128),
    nn.ReLU(),
    nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
batches = Batches(torch, *load_mnist(args.mnist, np), 64, [1, 28, 28])


def step():
    x, y = batches.next()
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


p = plan(args.quick, window_ms=1500)
ctx = context(torch, args)
emit("cnn.train", throughput(step, 64, p), "samples/s", ctx, batch=64, runs=p["windows"])
emit("cnn.train.peak_rss", peak_rss_mb(), "MB", ctx, batch=64)
