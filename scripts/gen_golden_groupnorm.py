#!/usr/bin/python3
"""Generate the PyTorch golden fixture for nn.GroupNorm: test/fixtures/golden/groupnorm/groupnorm.json.

    /usr/bin/python3 scripts/gen_golden_groupnorm.py

Each case: torch.nn.GroupNorm(G, C, eps, affine) in float64 with random weight/bias, input x, the output y,
and for the loss sum(y * r) (r a fixed random tensor) the gradients of x, weight and bias.
Deterministic: one CPU thread, seed 1803 (Wu and He 2018, "Group Normalization", arXiv 1803.08494).
"""

import json
import os

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(1803)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'groupnorm', 'groupnorm.json')


def td(t):
    t = t.detach().contiguous()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.flatten().tolist()]}


def case(name, groups, shape, eps=1e-5, affine=True):
    m = torch.nn.GroupNorm(groups, shape[1], eps=eps, affine=affine)
    if affine:
        with torch.no_grad():
            m.weight.copy_(torch.randn(shape[1]))
            m.bias.copy_(torch.randn(shape[1]))
    x = (torch.randn(*shape) * 3 + 1).requires_grad_(True)
    y = m(x)
    r = torch.randn(*y.shape)
    (y * r).sum().backward()
    out = {'name': name, 'numGroups': groups, 'eps': eps, 'affine': affine, 'x': td(x), 'r': td(r),
           'y': td(y), 'gradX': td(x.grad)}
    if affine:
        out.update(weight=td(m.weight), bias=td(m.bias), gradWeight=td(m.weight.grad), gradBias=td(m.bias.grad))
    return out


cases = [
    case('4d_groups2', 2, (3, 4, 3, 2)),
    case('4d_depthwise', 6, (2, 6, 2, 2)),
    case('4d_one_group', 1, (2, 3, 2, 3), eps=1e-3),
    case('2d', 2, (4, 6)),
    case('3d_no_affine', 3, (2, 6, 5), affine=False),
]
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'scripts/gen_golden_groupnorm.py', 'torch': torch.__version__, 'cases': cases}, f)
print(OUT, len(cases))
