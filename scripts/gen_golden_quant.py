#!/usr/bin/python3
"""Generate the PyTorch golden fixtures for static quantization and quantization-aware training.

Run with Debian's interpreter (PyTorch 1.13 is installed for it):

    /usr/bin/python3 scripts/gen_golden_quant.py

Writes test/fixtures/golden/quant/:

- fake_quant.json: torch.fake_quantize_per_tensor_affine and fake_quantize_per_channel_affine, forward and
  backward (the gradient of sum(y * g) for a fixed g, i.e. g masked by the straight-through estimator), on
  inputs that include exact half steps (round half to even), values outside the range and zeros, for the
  int8 ranges [-127, 127], [-128, 127] and [0, 255].
- observers.json: MinMaxObserver (per-tensor affine and symmetric), MovingAverageMinMaxObserver and
  PerChannelMinMaxObserver (per-channel symmetric), all with quant_min=-127, quant_max=127, dtype qint8:
  the inputs, the min/max they keep and the scale and zero point they return.

Float32 values are written with 9 significant digits, which round-trips float32 exactly, so the tests compare
bit for bit. Deterministic: fixed seeds, one thread.
"""

import json
import os

import torch
from torch.ao.quantization.observer import (
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    PerChannelMinMaxObserver,
)

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'quant')


def f32(x):
    return float('%.9g' % x)


def td(t):
    """TensorData (test/fixtures/golden/README.md): shape, dtype and flat row-major float32 data."""
    return {'shape': list(t.shape), 'dtype': 'float32', 'data': [f32(v) for v in t.detach().reshape(-1).float().tolist()]}


def inputs(shape, scale, zp, qmin, qmax, seed):
    """Random values spread past both ends of the range, with exact half steps and zeros mixed in."""
    g = torch.Generator().manual_seed(seed)
    lo = (qmin - zp) * scale
    hi = (qmax - zp) * scale
    x = torch.rand(shape, generator=g) * (hi - lo) * 1.3 + lo - 0.15 * (hi - lo)
    flat = x.reshape(-1)
    n = flat.numel()
    for i in range(0, n, 5):
        k = int(torch.randint(qmin - zp, qmax - zp + 1, (1,), generator=g))
        flat[i] = (k + 0.5) * scale
    for i in range(3, n, 11):
        flat[i] = 0.0
    return x


def fake_quant_cases():
    cases = []
    specs = [
        ((4, 6), 0.05, 0, -127, 127),
        ((3, 5, 2), 0.0213, -127, -127, 127),
        ((7, 3), 0.1, 3, -128, 127),
        ((5, 5), 0.0078125, 128, 0, 255),
        ((2, 9), 1.7, -20, -127, 127),
    ]
    for i, (shape, scale, zp, qmin, qmax) in enumerate(specs):
        x = inputs(shape, scale, zp, qmin, qmax, 10 + i).requires_grad_(True)
        gen = torch.Generator().manual_seed(100 + i)
        g = torch.randn(shape, generator=gen)
        y = torch.fake_quantize_per_tensor_affine(x, scale, zp, qmin, qmax)
        (y * g).sum().backward()
        cases.append({
            'kind': 'per_tensor', 'scale': scale, 'zeroPoint': zp, 'quantMin': qmin, 'quantMax': qmax,
            'x': td(x), 'upstream': td(g), 'y': td(y), 'grad': td(x.grad),
        })
    ch_specs = [
        ((4, 3, 2, 2), 0, [0.01, 0.05, 0.2, 0.003], [0, 0, 0, 0], -127, 127),
        ((2, 3, 5), 1, [0.1, 0.02, 0.5], [-3, 0, 7], -128, 127),
        ((6, 4), -1, [0.03, 0.07, 0.011, 0.25], [10, 128, 0, 255], 0, 255),
    ]
    for i, (shape, axis, scales, zps, qmin, qmax) in enumerate(ch_specs):
        gen = torch.Generator().manual_seed(200 + i)
        x = (torch.randn(shape, generator=gen) * 3.0)
        ax = axis % len(shape)
        idx = [slice(None)] * len(shape)
        idx[ax] = 0
        x[tuple(idx)] = (torch.randint(-40, 40, x[tuple(idx)].shape, generator=gen).float() + 0.5) * scales[0]
        x = x.requires_grad_(True)
        g = torch.randn(shape, generator=gen)
        s = torch.tensor(scales, dtype=torch.float32)
        z = torch.tensor(zps, dtype=torch.int32)
        y = torch.fake_quantize_per_channel_affine(x, s, z, ax, qmin, qmax)
        (y * g).sum().backward()
        cases.append({
            'kind': 'per_channel', 'axis': axis, 'scale': [f32(v) for v in s.tolist()], 'zeroPoint': zps,
            'quantMin': qmin, 'quantMax': qmax,
            'x': td(x), 'upstream': td(g), 'y': td(y), 'grad': td(x.grad),
        })
    return cases


def observer_cases():
    out = []
    gen = torch.Generator().manual_seed(7)
    batches = [torch.randn(64, generator=gen) * 2 + 0.5, torch.rand(40, generator=gen) * 3, torch.randn(16, generator=gen) * 4 - 1]
    relu_batches = [torch.relu(b) for b in batches]
    for name, data in [('mixed', batches), ('relu', relu_batches)]:
        for qscheme, label in [(torch.per_tensor_affine, 'affine'), (torch.per_tensor_symmetric, 'symmetric')]:
            obs = MinMaxObserver(dtype=torch.qint8, qscheme=qscheme, quant_min=-127, quant_max=127)
            for b in data:
                obs(b)
            s, z = obs.calculate_qparams()
            out.append({'observer': 'minmax', 'qscheme': label, 'data': name, 'batches': [td(b) for b in data],
                        'min': f32(obs.min_val.item()), 'max': f32(obs.max_val.item()),
                        'scale': f32(s.item()), 'zeroPoint': int(z.item())})
        obs = MovingAverageMinMaxObserver(averaging_constant=0.01, dtype=torch.qint8, quant_min=-127, quant_max=127)
        for b in data:
            obs(b)
        s, z = obs.calculate_qparams()
        out.append({'observer': 'moving_average', 'qscheme': 'affine', 'data': name, 'batches': [td(b) for b in data],
                    'min': f32(obs.min_val.item()), 'max': f32(obs.max_val.item()),
                    'scale': f32(s.item()), 'zeroPoint': int(z.item())})
    w = torch.randn(5, 3, 3, 3, generator=gen) * torch.tensor([0.1, 1.0, 0.02, 3.0, 0.5]).reshape(5, 1, 1, 1)
    obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, quant_min=-127, quant_max=127)
    obs(w)
    s, z = obs.calculate_qparams()
    out.append({'observer': 'per_channel', 'qscheme': 'symmetric', 'data': 'weights', 'batches': [td(w)],
                'scales': [f32(v) for v in s.tolist()], 'zeroPoints': [int(v) for v in z.tolist()]})
    return out


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    meta = {'torch': torch.__version__, 'script': 'scripts/gen_golden_quant.py'}
    for name, cases in [('fake_quant', fake_quant_cases()), ('observers', observer_cases())]:
        with open(os.path.join(OUT_DIR, name + '.json'), 'w') as fh:
            json.dump({'meta': meta, 'cases': cases}, fh, separators=(',', ':'))
            fh.write('\n')
        print('wrote', name, len(cases), 'cases')


main()
