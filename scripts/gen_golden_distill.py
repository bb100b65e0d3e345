#!/usr/bin/python3
"""Generate the PyTorch golden fixture for knowledge distillation: test/fixtures/golden/distill/distill.json.

Run with Debian's interpreter (PyTorch 1.13 is installed for it):

    /usr/bin/python3 scripts/gen_golden_distill.py

Each case holds student logits s, teacher logits t, targets y, the temperature T and the weight alpha, and
PyTorch's float64 values of

    soft = F.kl_div(log_softmax(s / T), softmax(t / T), reduction='batchmean') * T * T     (softmax cases)
    loss = alpha * soft + (1 - alpha) * F.cross_entropy(s, y)

with d loss / d s ('grad'). Sigmoid cases (one logit per binary or multi-label output) write each output as
the two-class distribution [sigmoid(z), 1 - sigmoid(z)] and take the same F.kl_div over those two classes,
averaged over the outputs and the batch; the hard loss is F.binary_cross_entropy_with_logits. So the fixture
is built from torch's own kl_div, not from the formula the TypeScript code uses.

Deterministic: one CPU thread, seed 20151109 (the arXiv date of Hinton et al.).
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'distill', 'distill.json')


def td(t):
    t = t.detach().contiguous()
    if not t.dtype.is_floating_point:
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.flatten().tolist()]}
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': [float(v) for v in t.flatten().tolist()]}


def softmax_case(name, n, c, T, alpha, scale_s=2.0, scale_t=3.0):
    s = (torch.randn(n, c) * scale_s).requires_grad_(True)
    t = torch.randn(n, c) * scale_t
    y = torch.randint(0, c, (n,))
    soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='batchmean') * T * T
    hard = F.cross_entropy(s, y)
    loss = alpha * soft + (1 - alpha) * hard
    loss.backward()
    return {
        'name': name, 'softTargets': 'softmax', 'hard': 'crossEntropy', 'temperature': T, 'alpha': alpha,
        'student': td(s), 'teacher': td(t), 'y': td(y),
        'soft': soft.item(), 'hardLoss': hard.item(), 'loss': loss.item(), 'grad': td(s.grad),
    }


def two_class(z):
    """log [sigmoid(z), 1 - sigmoid(z)] on a new last axis."""
    return torch.stack([F.logsigmoid(z), F.logsigmoid(-z)], dim=-1)


def sigmoid_case(name, n, c, T, alpha, one_logit):
    shape = (n,) if one_logit else (n, c)
    s = (torch.randn(*shape) * 2.0).requires_grad_(True)
    t = torch.randn(*shape) * 3.0
    y = torch.randint(0, 2, shape).double()
    log_q = two_class(s / T)
    p = two_class(t / T).exp()
    # kl_div over the two classes of each output, then the mean over outputs and samples.
    soft = F.kl_div(log_q, p, reduction='none').sum(-1).mean() * T * T
    hard = F.binary_cross_entropy_with_logits(s, y)
    loss = alpha * soft + (1 - alpha) * hard
    loss.backward()
    return {
        'name': name, 'softTargets': 'sigmoid', 'hard': 'bceWithLogits', 'temperature': T, 'alpha': alpha,
        'student': td(s), 'teacher': td(t), 'y': td(y),
        'soft': soft.item(), 'hardLoss': hard.item(), 'loss': loss.item(), 'grad': td(s.grad),
    }


def main():
    torch.manual_seed(20151109)
    cases = [
        softmax_case('softmax_T1_alpha0.5', 5, 4, 1.0, 0.5),
        softmax_case('softmax_T4_alpha0.9', 6, 10, 4.0, 0.9),
        softmax_case('softmax_T2.5_alpha1', 3, 3, 2.5, 1.0),
        softmax_case('softmax_T20_alpha0.7', 4, 5, 20.0, 0.7),
        # Confident teacher: at T = 1 some softmax(t) underflow to 0 (t spread over +-80).
        softmax_case('softmax_confident_teacher_T1', 4, 6, 1.0, 0.8, scale_t=40.0),
        softmax_case('softmax_alpha0', 5, 4, 3.0, 0.0),
        sigmoid_case('sigmoid_one_logit_T2_alpha0.6', 7, 1, 2.0, 0.6, one_logit=True),
        sigmoid_case('sigmoid_multilabel_T3_alpha0.9', 5, 3, 3.0, 0.9, one_logit=False),
    ]
    for c in cases:
        for k in ('soft', 'loss'):
            assert math.isfinite(c[k]), (c['name'], k)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump({'torch': torch.__version__, 'generator': 'scripts/gen_golden_distill.py', 'cases': cases}, f,
                  indent=1)
        f.write('\n')
    print(f'wrote {OUT}: {len(cases)} cases')


if __name__ == '__main__':
    main()
