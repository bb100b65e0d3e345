"""fp32 GEMM GFLOPS in PyTorch (torch.mm into a preallocated output) at 256^3, 1024^3 and 128x784x500."""

from torch_common import context, emit, parse_args, plan, setup_torch, throughput

args = parse_args()
torch = setup_torch(args)
ctx = context(torch, args)
for label, m, n, k in (("256^3", 256, 256, 256), ("1024^3", 1024, 1024, 1024), ("128x784x500", 128, 500, 784)):
    a, b, out = torch.rand(m, k), torch.rand(k, n), torch.empty(m, n)
    p = plan(args.quick, warmup=2, windows=5, window_ms=300)
    emit(f"gemm {label}", throughput(lambda: torch.mm(a, b, out=out), 2 * m * n * k / 1e9, p), "GFLOPS", ctx, runs=p["windows"])
