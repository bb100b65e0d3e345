#!/usr/bin/python3
"""Generate the PyTorch golden fixtures for optimizers, LR schedules, gradient clipping and one training step.

Run with Debian's interpreter (PyTorch 1.13 is installed for it):

    /usr/bin/python3 scripts/gen_golden_optim.py

Writes test/fixtures/golden/optim/*.json:

- <optimizer>.json: multi-step trajectories. Each case stores the initial parameters, the (pseudo-random,
  fixed) gradient of every parameter at every step (null = the parameter has no gradient that step, which
  torch skips), and after every step the parameters and the optimizer state, keyed by parameter index.
  State tensor names are camelCase (expAvg, expAvgSq, maxExpAvgSq, momentumBuffer, squareAvg, gradAvg, sum);
  `step` is a number.
- schedulers.json: the lr of every parameter group after construction and after each scheduler.step().
- clip.json: clip_grad_norm_ (total norm + clipped gradients) and clip_grad_value_.
- training_step.json: one full Linear-ReLU-Linear step (weights, input, target, loss, grads, new weights).

Tolerances are measured, not guessed: each trajectory is also run in float64 from the same float32 inputs,
and the tolerance is the larger of the default and three times the float32-vs-float64 error, so any correct
float32 implementation passes and a wrong update rule does not.

Deterministic: one CPU thread, fixed seeds.
"""

import json
import math
import os

import torch
import torch.nn as nn
import warnings

# SequentialLR calls scheduler.step(0) at a milestone, which torch 1.13 flags as deprecated; it is the behaviour we record.
warnings.filterwarnings('ignore', message='The epoch parameter')

torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'optim')
DEFAULT_TOL = (1e-5, 1e-6)
STEPS = 5
SHAPES = [(3, 4), (5,)]


def enc_float(x):
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    if x == int(x) and abs(x) < 1e15 and not (x == 0 and math.copysign(1.0, x) < 0):
        return int(x)
    return float('%.9g' % x)


def td(t):
    """TensorData (test/fixtures/golden/README.md): shape, dtype and flat row-major float32 data."""
    flat = t.detach().reshape(-1).float()
    return {'shape': list(t.shape), 'dtype': 'float32', 'data': [enc_float(v) for v in flat.tolist()]}


def camel(k):
    parts = k.split('_')
    return parts[0] + ''.join(p[:1].upper() + p[1:] for p in parts[1:])


def nice_ceil(x):
    e = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10 ** e >= x * (1 - 1e-12):
            return float('%.0e' % (m * 10 ** e))
    return float('%.0e' % (10 ** (e + 1)))


# ------------------------------------------------------------------------------------------------
# Optimizer trajectories
# ------------------------------------------------------------------------------------------------

def make_inputs(seed, missing):
    """Initial params and per-step grads (float32); `missing` = set of (step, param) with no gradient."""
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g) for s in SHAPES]
    grads = []
    for k in range(STEPS):
        row = []
        for i, s in enumerate(SHAPES):
            gr = torch.randn(s, generator=g) * (0.5 + k * 0.3)
            row.append(None if (k, i) in missing else gr)
        grads.append(row)
    return params, grads


def run_trajectory(cls, options, groups, params0, grads, dtype):
    params = [p.clone().to(dtype).requires_grad_(True) for p in params0]
    if groups is None:
        opt = cls(params, **options)
    else:
        opt = cls([dict(g, params=[params[i] for i in g['params']]) for g in groups], **options)
    out = []
    for row in grads:
        for p, gr in zip(params, row):
            p.grad = None if gr is None else gr.clone().to(dtype)
        opt.step()
        state = {}
        for i, p in enumerate(params):
            st = opt.state.get(p)
            if not st:
                continue
            entry = {}
            for k, v in st.items():
                if v is None:
                    continue
                if isinstance(v, torch.Tensor) and v.numel() == 1 and v.dim() == 0:
                    entry[camel(k)] = float(v.item())
                elif isinstance(v, torch.Tensor):
                    entry[camel(k)] = v.detach().clone()
                else:
                    entry[camel(k)] = float(v)
            state[str(i)] = entry
        out.append({'params': [p.detach().clone() for p in params], 'state': state})
    return out


def max_err(a, b):
    """Largest |a - b| over every tensor of two trajectories (b is the float64 reference)."""
    worst = 0.0
    for sa, sb in zip(a, b):
        for pa, pb in zip(sa['params'], sb['params']):
            worst = max(worst, (pa.double() - pb).abs().max().item())
        for i, ea in sa['state'].items():
            for k, va in ea.items():
                if isinstance(va, torch.Tensor):
                    worst = max(worst, (va.double() - sb['state'][i][k]).abs().max().item())
    return worst


def opt_case(name, cls, options, seed, groups=None, missing=()):
    params0, grads = make_inputs(seed, set(missing))
    f32 = run_trajectory(cls, options, groups, params0, grads, torch.float32)
    f64 = run_trajectory(cls, options, groups, params0, grads, torch.float64)
    rtol, atol = DEFAULT_TOL
    err = max_err(f32, f64)
    if err > atol / 2:
        atol = nice_ceil(3 * err)
        print(f'  {cls.__name__} {name}: atol raised to {atol:g} (float32 vs float64 error {err:.3g})')
    steps = []
    for s in f32:
        steps.append({
            'params': [td(p) for p in s['params']],
            'state': {i: {k: (td(v) if isinstance(v, torch.Tensor) else v) for k, v in e.items()}
                      for i, e in s['state'].items()},
        })
    return {
        'name': name,
        'options': {camel(k): (list(v) if isinstance(v, tuple) else v) for k, v in options.items()},
        'groups': None if groups is None else [{camel(k): v for k, v in g.items()} for g in groups],
        'params': [td(p) for p in params0],
        'grads': [[None if gr is None else td(gr) for gr in row] for row in grads],
        'steps': steps,
        'tol': {'rtol': rtol, 'atol': atol},
    }


def optimizer_files():
    O = torch.optim
    miss = [(2, 1)]  # parameter 1 has no gradient at step 3: torch skips it (no update, no state change)
    files = {
        'sgd': ('SGD', [
            opt_case('plain', O.SGD, {'lr': 0.1}, 1),
            opt_case('momentum', O.SGD, {'lr': 0.1, 'momentum': 0.9}, 2, missing=miss),
            opt_case('momentum_dampening', O.SGD, {'lr': 0.05, 'momentum': 0.8, 'dampening': 0.3}, 3),
            opt_case('nesterov', O.SGD, {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, 4),
            opt_case('weight_decay_momentum', O.SGD, {'lr': 0.1, 'momentum': 0.5, 'weight_decay': 0.1}, 5),
            opt_case('maximize', O.SGD, {'lr': 0.1, 'momentum': 0.9, 'maximize': True}, 6),
            opt_case('groups', O.SGD, {'lr': 0.1}, 7,
                     groups=[{'params': [0], 'momentum': 0.9}, {'params': [1], 'lr': 0.01, 'weight_decay': 0.5}]),
        ]),
        'adam': ('Adam', [
            opt_case('default', O.Adam, {'lr': 0.01}, 11),
            opt_case('betas_eps', O.Adam, {'lr': 0.02, 'betas': (0.8, 0.95), 'eps': 1e-6}, 12, missing=miss),
            opt_case('weight_decay', O.Adam, {'lr': 0.01, 'weight_decay': 0.1}, 13),
            opt_case('amsgrad', O.Adam, {'lr': 0.01, 'amsgrad': True}, 14),
            opt_case('amsgrad_weight_decay', O.Adam, {'lr': 0.01, 'amsgrad': True, 'weight_decay': 0.05}, 15),
            opt_case('maximize', O.Adam, {'lr': 0.01, 'maximize': True}, 16),
            opt_case('groups', O.Adam, {'lr': 0.01}, 17,
                     groups=[{'params': [0]}, {'params': [1], 'lr': 0.001, 'amsgrad': True}]),
        ]),
        'adamw': ('AdamW', [
            opt_case('default', O.AdamW, {'lr': 0.01}, 21),
            opt_case('weight_decay', O.AdamW, {'lr': 0.01, 'weight_decay': 0.1}, 22, missing=miss),
            opt_case('amsgrad', O.AdamW, {'lr': 0.01, 'weight_decay': 0.05, 'amsgrad': True}, 23),
            opt_case('maximize', O.AdamW, {'lr': 0.01, 'maximize': True}, 24),
        ]),
        'rmsprop': ('RMSprop', [
            opt_case('default', O.RMSprop, {'lr': 0.01}, 31),
            opt_case('alpha_eps', O.RMSprop, {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-6}, 32, missing=miss),
            opt_case('centered', O.RMSprop, {'lr': 0.01, 'centered': True}, 33),
            opt_case('momentum', O.RMSprop, {'lr': 0.01, 'momentum': 0.9}, 34),
            opt_case('centered_momentum_wd', O.RMSprop,
                     {'lr': 0.01, 'centered': True, 'momentum': 0.5, 'weight_decay': 0.1}, 35),
            opt_case('maximize', O.RMSprop, {'lr': 0.01, 'maximize': True}, 36),
        ]),
        'adagrad': ('Adagrad', [
            opt_case('default', O.Adagrad, {'lr': 0.1}, 41),
            opt_case('lr_decay', O.Adagrad, {'lr': 0.1, 'lr_decay': 0.1}, 42, missing=miss),
            opt_case('weight_decay', O.Adagrad, {'lr': 0.1, 'weight_decay': 0.1}, 43),
            opt_case('initial_accumulator', O.Adagrad,
                     {'lr': 0.1, 'initial_accumulator_value': 0.5, 'eps': 1e-5}, 44),
            opt_case('maximize', O.Adagrad, {'lr': 0.1, 'maximize': True}, 45),
        ]),
    }
    for fname, (optname, cases) in files.items():
        write(f'{fname}.json', {'optimizer': optname, 'torch': f'torch.optim.{optname}', 'cases': cases})


# ------------------------------------------------------------------------------------------------
# LR schedules
# ------------------------------------------------------------------------------------------------

SCHED_STEPS = 16
S = torch.optim.lr_scheduler


def sched_opt():
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([{'params': [a]}, {'params': [b], 'lr': 0.05}], lr=0.1)


def lrs(opt):
    return [g['lr'] for g in opt.param_groups]


def sched_case(name, make, spec):
    opt = sched_opt()
    sch = make(opt)
    seq = [lrs(opt)]
    for _ in range(SCHED_STEPS):
        opt.step()
        sch.step()
        seq.append(lrs(opt))
    return {'name': name, 'scheduler': spec, 'lrs': seq}


def plateau_case(name, kwargs, metrics):
    opt = sched_opt()
    sch = S.ReduceLROnPlateau(opt, **kwargs)
    seq = []
    for m in metrics:
        opt.step()
        sch.step(m)
        seq.append(lrs(opt))
    return {'name': name, 'scheduler': {'type': 'ReduceLROnPlateau', 'options': {camel(k): v for k, v in kwargs.items()}},
            'metrics': metrics, 'lrs': seq}


def scheduler_file():
    # Lambdas are reproduced by name in the TS test (same formula).
    lam = {
        'pow095': lambda e: 0.95 ** e,
        'inv': lambda e: 1.0 / (e + 1),
        'pow09': lambda e: 0.9 ** e,
        'warmup4': lambda e: min(1.0, (e + 1) / 4),
    }
    cases = [
        sched_case('step', lambda o: S.StepLR(o, step_size=3, gamma=0.5),
                   {'type': 'StepLR', 'options': {'stepSize': 3, 'gamma': 0.5}}),
        sched_case('multistep', lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.1),
                   {'type': 'MultiStepLR', 'options': {'milestones': [2, 5, 5, 9], 'gamma': 0.1}}),
        sched_case('exponential', lambda o: S.ExponentialLR(o, gamma=0.9),
                   {'type': 'ExponentialLR', 'options': {'gamma': 0.9}}),
        sched_case('cosine', lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
                   {'type': 'CosineAnnealingLR', 'options': {'tMax': 5, 'etaMin': 0.001}}),
        sched_case('cosine_long', lambda o: S.CosineAnnealingLR(o, T_max=12),
                   {'type': 'CosineAnnealingLR', 'options': {'tMax': 12}}),
        sched_case('linear_warmup', lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4),
                   {'type': 'LinearLR', 'options': {'startFactor': 0.25, 'totalIters': 4}}),
        sched_case('linear_decay', lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=6),
                   {'type': 'LinearLR', 'options': {'startFactor': 1.0, 'endFactor': 0.1, 'totalIters': 6}}),
        sched_case('linear_default', lambda o: S.LinearLR(o),
                   {'type': 'LinearLR', 'options': {}}),
        sched_case('lambda', lambda o: S.LambdaLR(o, lam['pow095']),
                   {'type': 'LambdaLR', 'options': {'lambdas': ['pow095']}}),
        sched_case('lambda_per_group', lambda o: S.LambdaLR(o, [lam['inv'], lam['pow09']]),
                   {'type': 'LambdaLR', 'options': {'lambdas': ['inv', 'pow09']}}),
        sched_case('sequential_warmup_cosine',
                   lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                S.CosineAnnealingLR(o, T_max=8)], milestones=[3]),
                   {'type': 'SequentialLR', 'milestones': [3], 'schedulers': [
                       {'type': 'LinearLR', 'options': {'startFactor': 0.1, 'totalIters': 3}},
                       {'type': 'CosineAnnealingLR', 'options': {'tMax': 8}}]}),
        sched_case('sequential_three',
                   lambda o: S.SequentialLR(o, [S.LambdaLR(o, lam['warmup4']),
                                                S.ExponentialLR(o, gamma=0.8),
                                                S.StepLR(o, step_size=2, gamma=0.5)], milestones=[4, 9]),
                   {'type': 'SequentialLR', 'milestones': [4, 9], 'schedulers': [
                       {'type': 'LambdaLR', 'options': {'lambdas': ['warmup4']}},
                       {'type': 'ExponentialLR', 'options': {'gamma': 0.8}},
                       {'type': 'StepLR', 'options': {'stepSize': 2, 'gamma': 0.5}}]}),
        plateau_case('plateau_min', {'mode': 'min', 'factor': 0.5, 'patience': 2, 'cooldown': 1, 'min_lr': 0.01},
                     [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]),
        plateau_case('plateau_max_abs', {'mode': 'max', 'factor': 0.1, 'patience': 1, 'threshold': 0.05,
                                          'threshold_mode': 'abs'},
                     [0.5, 0.52, 0.56, 0.6, 0.61, 0.62, 0.7, 0.7, 0.74, 0.8, 0.81, 0.8]),
        plateau_case('plateau_defaults', {}, [3.0] + [2.9999] * 14 + [1.0]),
    ]
    write('schedulers.json', {'torch': 'torch.optim.lr_scheduler', 'groupLrs': [0.1, 0.05], 'cases': cases})


# ------------------------------------------------------------------------------------------------
# Gradient clipping
# ------------------------------------------------------------------------------------------------

def clip_file():
    g = torch.Generator().manual_seed(51)
    grads = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g) * 3, torch.randn(2, 2, 2, generator=g)]
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (2.5, 1.0), (0.5, 'inf'), (1.5, 3.5), (1000.0, 2.0)]:
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        nt = float('inf') if norm_type == 'inf' else norm_type
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=nt)
        cases.append({'name': f'norm_{norm_type}_{max_norm}', 'kind': 'norm', 'maxNorm': max_norm,
                      'normType': norm_type, 'totalNorm': float(total.item()),
                      'clipped': [td(p.grad) for p in ps]})
    for clip in [0.5, 2.0]:
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for p, x in zip(ps, grads):
            p.grad = x.clone()
        torch.nn.utils.clip_grad_value_(ps, clip)
        cases.append({'name': f'value_{clip}', 'kind': 'value', 'clipValue': clip,
                      'clipped': [td(p.grad) for p in ps]})
    write('clip.json', {'torch': 'torch.nn.utils.clip_grad_norm_ / clip_grad_value_',
                        'grads': [td(x) for x in grads], 'tol': {'rtol': 1e-5, 'atol': 1e-6}, 'cases': cases})


# ------------------------------------------------------------------------------------------------
# One full training step
# ------------------------------------------------------------------------------------------------

def training_step_file():
    torch.manual_seed(61)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    x = torch.randn(6, 3)
    y = torch.randn(6, 2)
    before = {k: td(v) for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.zero_grad()
    loss = nn.MSELoss()(model(x), y)
    loss.backward()
    grads = {k: td(p.grad) for k, p in model.named_parameters()}
    opt.step()
    after = {k: td(v) for k, v in model.state_dict().items()}
    write('training_step.json', {
        'torch': 'Sequential(Linear(3,8), ReLU(), Linear(8,2)), MSELoss, SGD(lr=0.1, momentum=0.9, weight_decay=0.01)',
        'optimizer': {'type': 'SGD', 'lr': 0.1, 'momentum': 0.9, 'weightDecay': 0.01},
        'input': td(x), 'target': td(y), 'weights': before, 'loss': float(loss.item()), 'grads': grads,
        'updated': after, 'tol': {'rtol': 1e-5, 'atol': 1e-6},
    })


def write(name, obj):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)')


if __name__ == '__main__':
    optimizer_files()
    scheduler_file()
    clip_file()
    training_step_file()
