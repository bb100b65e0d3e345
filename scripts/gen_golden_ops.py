#!/usr/bin/python3
"""Generate the PyTorch golden fixtures for every tensor op: test/fixtures/golden/ops/<op>.json.

Run with Debian's interpreter (PyTorch 1.13 is installed for it):

    /usr/bin/python3 scripts/gen_golden_ops.py            # all ops
    /usr/bin/python3 scripts/gen_golden_ops.py add conv2d  # only these ops (the index is rewritten from disk)

The file format is documented in test/fixtures/golden/README.md. In short, each case stores its inputs
(as contiguous base tensors plus an optional view), its keyword options, the forward output(s), a random
normal upstream gradient and the gradient w.r.t. every tensor argument, with explicit tolerances.

Tolerances are not guessed: every case is re-run in float64 from the very same float32 inputs and the
same upstream gradient, and the float32 result must lie within half of the stored tolerance of that
float64 result. Where it does not (large magnitudes, long reductions), the absolute tolerance is raised
to three times the observed float32 error and the bump is printed, so a correct float32 implementation
that rounds differently from PyTorch still passes and a wrong one does not.

Output is deterministic: one CPU thread, a fixed seed per op file (crc32 of the op name).
"""

import json
import math
import os
import re
import sys
import zlib

import torch
import torch.nn.functional as F

torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'ops')

DEFAULT_TOL = (1e-5, 1e-6)  # (rtol, atol): |actual - expected| <= atol + rtol * |expected|


# ----------------------------------------------------------------------------------------------------
# Argument descriptions
# ----------------------------------------------------------------------------------------------------

class T:
    """A tensor argument: a contiguous base tensor, optionally seen through a view (non-contiguous)."""

    def __init__(self, base, grad=None, view=None):
        self.base = base.detach().contiguous()
        if grad is None:
            grad = base.dtype.is_floating_point
        self.grad = grad
        self.view = view

    def torch_value(self, float_dtype):
        b = self.base
        if b.dtype.is_floating_point:
            b = b.to(float_dtype)
        x = apply_view(b.clone(), self.view).detach()
        if self.grad:
            x.requires_grad_(True)
        return x

    def spec(self):
        d = tensor_data(self.base)
        d['requiresGrad'] = bool(self.grad)
        if self.view is not None:
            d['view'] = self.view
        return d


class TL:
    """A list-of-tensors argument (cat, stack)."""

    def __init__(self, items):
        self.items = items


class V:
    """A plain value argument (int, float, bool, list, None, str)."""

    def __init__(self, value):
        self.value = value


def apply_view(t, view):
    if view is None:
        return t
    if 'permute' in view:
        return t.permute(*view['permute'])
    if 'transpose' in view:
        return t.transpose(*view['transpose'])
    if 'slice' in view:
        return t[tuple(slice(a, b, s) for a, b, s in view['slice'])]
    raise ValueError(f'unknown view {view}')


# ----------------------------------------------------------------------------------------------------
# Random inputs (all drawn from torch's global generator, seeded per op file)
# ----------------------------------------------------------------------------------------------------

def rn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape) * scale + shift


def ru(*shape, lo=0.0, hi=1.0):
    return torch.rand(*shape) * (hi - lo) + lo


def away(*shape, lo=0.1, hi=2.0):
    """Values with lo <= |x| <= hi and random sign: away from kinks at 0 (abs, relu, reciprocal)."""
    mag = ru(*shape, lo=lo, hi=hi)
    sign = torch.where(torch.rand(*shape) < 0.5, -1.0, 1.0)
    return mag * sign


def big(*shape, lo=1e3, hi=1e4):
    return away(*shape, lo=lo, hi=hi)


def ri(*shape, lo=0, hi=5):
    return torch.randint(lo, hi, shape, dtype=torch.int64)


def rb(*shape, p=0.5):
    return torch.rand(*shape) < p


def distinct(*shape, scale=1.0):
    """Distinct values (no ties) in random order, with a random offset; safe for max/min/sort grads."""
    n = 1
    for s in shape:
        n *= s
    perm = torch.randperm(n).float()
    return ((perm + ru(n, lo=0.1, hi=0.9)) * scale - n * scale / 2).reshape(*shape)


def tval(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


# ----------------------------------------------------------------------------------------------------
# JSON encoding
# ----------------------------------------------------------------------------------------------------

def enc_float(x):
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    if x == int(x) and abs(x) < 1e15 and not (x == 0 and math.copysign(1.0, x) < 0):
        return int(x)
    # 9 significant digits round-trip every float32 exactly.
    return float('%.9g' % x)


DTYPE_NAMES = {torch.float32: 'float32', torch.float64: 'float32', torch.int64: 'int32',
               torch.int32: 'int32', torch.bool: 'bool'}


def tensor_data(t):
    t = t.detach()
    name = DTYPE_NAMES[t.dtype]
    flat = t.reshape(-1)
    if name == 'float32':
        data = [enc_float(v) for v in flat.float().tolist()]
    elif name == 'int32':
        data = [int(v) for v in flat.tolist()]
    else:
        data = [1 if v else 0 for v in flat.tolist()]
    return {'shape': list(t.shape), 'dtype': name, 'data': data}


def camel_to_snake(k):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), k)


# ----------------------------------------------------------------------------------------------------
# Running a case
# ----------------------------------------------------------------------------------------------------

def nice_ceil(x):
    """Round up to 1, 2 or 5 times a power of ten."""
    e = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10 ** e >= x * (1 - 1e-12):
            return float('%.0e' % (m * 10 ** e))
    return float('%.0e' % (10 ** (e + 1)))


class Tol:
    def __init__(self, rtol, atol):
        self.rtol = rtol
        self.atol = atol
        self.bumped_from = None

    def absorb(self, a32, a64, what):
        """Make sure 2 * (float32 error against float64) fits; raise atol if it does not."""
        a32 = a32.detach().double()
        a64 = a64.detach().double()
        if a32.shape != a64.shape:
            raise AssertionError(f'{what}: shape {list(a32.shape)} vs float64 {list(a64.shape)}')
        if a32.numel() == 0:
            return
        n32, n64 = torch.isnan(a32), torch.isnan(a64)
        if not torch.equal(n32, n64):
            raise AssertionError(f'{what}: NaN pattern differs between float32 and float64')
        i32, i64 = torch.isinf(a32), torch.isinf(a64)
        if not torch.equal(i32, i64) or not torch.equal(a32[i32], a64[i64]):
            raise AssertionError(f'{what}: infinities differ between float32 and float64')
        fin = ~(n64 | i64)
        if not fin.any():
            return
        excess = ((a32[fin] - a64[fin]).abs() - self.rtol * a64[fin].abs()).max().item()
        if 2 * excess > self.atol:
            new = nice_ceil(3 * excess)
            if self.bumped_from is None:
                self.bumped_from = self.atol
            print(f'    tol bump {what}: atol {self.atol:g} -> {new:g}', file=sys.stderr)
            self.atol = new

    def json(self):
        return {'rtol': self.rtol, 'atol': self.atol}


def as_list(out):
    if isinstance(out, torch.Tensor):
        return [out], False
    return list(out), True


def build_inputs(args, kwargs, float_dtype):
    targs, leaves = [], []
    for a in args:
        if isinstance(a, T):
            x = a.torch_value(float_dtype)
            targs.append(x)
            leaves.append(x if a.grad else None)
        elif isinstance(a, TL):
            xs = [it.torch_value(float_dtype) for it in a.items]
            targs.append(xs)
            leaves.append([x if it.grad else None for x, it in zip(xs, a.items)])
        else:
            targs.append(a.value)
            leaves.append(None)
    tkw = {}
    for k, v in kwargs.items():
        if isinstance(v, T):
            tkw[camel_to_snake(k)] = v.torch_value(float_dtype)
        else:
            tkw[camel_to_snake(k)] = v
    return targs, leaves, tkw


def flat_leaves(leaves):
    flat = []
    for l in leaves:
        if isinstance(l, list):
            flat.extend(x for x in l if x is not None)
        elif l is not None:
            flat.append(l)
    return flat


def run_once(fn, args, kwargs, float_dtype, upstream, has_after):
    targs, leaves, tkw = build_inputs(args, kwargs, float_dtype)
    res = fn(*targs, **tkw)
    after = None
    if has_after:
        res, after = res
    outs, multi = as_list(res)
    diff_outs = [o for o in outs if o.requires_grad]
    if upstream is None:
        upstream = [torch.randn(o.shape) if o.requires_grad else None for o in outs]
    grads_flat = []
    inputs = flat_leaves(leaves)
    if diff_outs and inputs:
        ups = [u.to(o.dtype) for o, u in zip(outs, upstream) if o.requires_grad]
        got = torch.autograd.grad(diff_outs, inputs, grad_outputs=ups, allow_unused=True)
        # A tensor that takes no part in the result has a zero gradient (TS materialises it).
        grads_flat = [g if g is not None else torch.zeros_like(x) for g, x in zip(got, inputs)]
    # Re-nest gradients per argument.
    it = iter(grads_flat)
    grads = []
    for l in leaves:
        if isinstance(l, list):
            grads.append([next(it) if x is not None else None for x in l])
        elif l is not None:
            grads.append(next(it))
        else:
            grads.append(None)
    return outs, multi, upstream, grads, after


def compare(tol, x32, x64, what):
    if isinstance(x32, list):
        for i, (a, b) in enumerate(zip(x32, x64)):
            compare(tol, a, b, f'{what}[{i}]')
        return
    if x32 is None:
        return
    if x32.dtype.is_floating_point:
        tol.absorb(x32, x64, what)
    elif not torch.equal(x32, x64):
        raise AssertionError(f'{what}: integer/bool result differs between float32 and float64 runs')


def enc_nested(x):
    if x is None:
        return None
    if isinstance(x, list):
        return [enc_nested(v) for v in x]
    return tensor_data(x)


def enc_arg(a):
    if isinstance(a, T):
        return {'tensor': a.spec()}
    if isinstance(a, TL):
        return {'tensors': [it.spec() for it in a.items]}
    return {'value': a.value}


class Op:
    def __init__(self, name, torch_str, fn):
        self.name = name
        self.torch_str = torch_str
        self.fn = fn
        self.cases = []

    def case(self, name, args, kwargs=None, fn=None, tol=DEFAULT_TOL, gtol=None, after=False, note=None):
        kwargs = kwargs or {}
        fn = fn or self.fn
        outs, multi, upstream, grads, aft = run_once(fn, args, kwargs, torch.float32, None, after)
        outs64, _, _, grads64, aft64 = run_once(fn, args, kwargs, torch.float64, upstream, after)
        ftol = Tol(*tol)
        gtol = Tol(*(gtol or tol))
        label = f'{self.name}/{name}'
        compare(ftol, outs, outs64, f'{label} out')
        if aft is not None:
            compare(ftol, aft, aft64, f'{label} after')
        compare(gtol, grads, grads64, f'{label} grad')
        any_up = any(u is not None for u in upstream)
        c = {
            'name': name,
            'args': [enc_arg(a) for a in args],
            'kwargs': {k: (enc_arg(v) if isinstance(v, T) else v) for k, v in kwargs.items()},
            'out': [tensor_data(o) for o in outs] if multi else tensor_data(outs[0]),
            'upstream': None,
            'grads': [enc_nested(g) for g in grads],
            'tol': ftol.json(),
        }
        if any_up and any(g is not None for g in grads):
            c['upstream'] = [enc_nested(u) for u in upstream] if multi else tensor_data(upstream[0])
            c['gradTol'] = gtol.json()
        if after:
            c['after'] = [enc_nested(a) for a in aft] if aft is not None else None
        if note:
            c['note'] = note
        self.cases.append(c)


OPS = []


def op(name, torch_str, fn=None):
    def deco(gen):
        OPS.append((name, torch_str, fn, gen))
        return gen
    return deco



# ----------------------------------------------------------------------------------------------------
# Elementwise unary
# ----------------------------------------------------------------------------------------------------

def unary_cases(c, dom, large, extra=None):
    """Shared coverage for a unary op: odd sizes, batch 1, scalar, empty, two kinds of views, large values."""
    c('odd_3x5', [T(dom(3, 5))])
    c('batch1_1x7', [T(dom(1, 7))])
    c('scalar', [T(dom(1).reshape(()))])
    c('empty_0x3', [T(dom(0, 3))])
    c('transposed_view', [T(dom(5, 3), view={'transpose': [0, 1]})])
    c('strided_slice_view', [T(dom(4, 7), view={'slice': [[1, 4, 1], [0, 7, 2]]})])
    if large is not None:
        c('large_magnitude', [T(large(2, 5))])
    if extra:
        for name, make in extra:  # built lazily so that they draw from this op's seeded stream
            c(name, [T(make())])


UNARY = [
    # name, torch fn, domain, large-magnitude domain, extra cases
    ('neg', torch.neg, lambda *s: rn(*s), lambda *s: big(*s), None),
    ('abs', torch.abs, lambda *s: away(*s), lambda *s: big(*s), None),
    ('exp', torch.exp, lambda *s: rn(*s, scale=2), lambda *s: away(*s, lo=40, hi=87), None),
    ('log', torch.log, lambda *s: ru(*s, lo=0.05, hi=10), lambda *s: ru(*s, lo=1e3, hi=1e6),
     [('tiny', lambda: ru(6, lo=1e-30, hi=1e-20))]),
    ('sqrt', torch.sqrt, lambda *s: ru(*s, lo=0.05, hi=10), lambda *s: ru(*s, lo=1e4, hi=1e8), None),
    ('rsqrt', torch.rsqrt, lambda *s: ru(*s, lo=0.05, hi=10), lambda *s: ru(*s, lo=1e4, hi=1e8), None),
    ('sin', torch.sin, lambda *s: rn(*s, scale=3), lambda *s: big(*s, lo=10, hi=100), None),
    ('cos', torch.cos, lambda *s: rn(*s, scale=3), lambda *s: big(*s, lo=10, hi=100), None),
    ('tanh', torch.tanh, lambda *s: rn(*s, scale=2), lambda *s: big(*s, lo=50, hi=120), None),
    ('sigmoid', torch.sigmoid, lambda *s: rn(*s, scale=2), lambda *s: big(*s, lo=50, hi=120), None),
    ('erf', torch.erf, lambda *s: rn(*s, scale=1.5), lambda *s: big(*s, lo=5, hi=60), None),
    ('relu', torch.relu, lambda *s: away(*s), lambda *s: big(*s), None),
    ('log1p', torch.log1p, lambda *s: ru(*s, lo=-0.9, hi=5), lambda *s: ru(*s, lo=1e3, hi=1e6),
     [('tiny', lambda: away(6, lo=1e-9, hi=1e-6))]),
    ('expm1', torch.expm1, lambda *s: rn(*s), lambda *s: ru(*s, lo=-80, hi=80),
     [('tiny', lambda: away(6, lo=1e-9, hi=1e-6))]),
    ('reciprocal', torch.reciprocal, lambda *s: away(*s, lo=0.2, hi=3), lambda *s: big(*s), None),
    ('square', torch.square, lambda *s: rn(*s), lambda *s: big(*s), None),
    ('sign', torch.sign, lambda *s: rn(*s), lambda *s: big(*s),
     [('zeros_and_signed_zero', lambda: tval([0.0, -0.0, 1.5, -2.5, 0.0, 3.0]))]),
    ('floor', torch.floor, lambda *s: rn(*s, scale=4), lambda *s: big(*s),
     [('integers_and_halves', lambda: tval([-2.5, -2.0, -0.5, -0.0, 0.5, 1.0, 1.5, 2.5]))]),
    ('ceil', torch.ceil, lambda *s: rn(*s, scale=4), lambda *s: big(*s),
     [('integers_and_halves', lambda: tval([-2.5, -2.0, -0.5, -0.0, 0.5, 1.0, 1.5, 2.5]))]),
    # torch.round rounds half to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0 (unlike Math.round).
    ('round', torch.round, lambda *s: rn(*s, scale=4), lambda *s: big(*s),
     [('halves_to_even', lambda: tval([-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997, 1.4999999]))]),
]


def make_unary(name, fn, dom, large, extra):
    @op(name, f'torch.{fn.__name__}(x)', fn)
    def _(c):
        unary_cases(c, dom, large, extra)


for _u in UNARY:
    make_unary(*_u)


# ----------------------------------------------------------------------------------------------------
# Elementwise binary (broadcasting)
# ----------------------------------------------------------------------------------------------------

def binary_cases(c, da, db, large_a, large_b, scalar_b):
    c('same_shape_3x5', [T(da(3, 5)), T(db(3, 5))])
    c('broadcast_odd', [T(da(3, 1, 5)), T(db(7, 5))])
    c('broadcast_both', [T(da(5, 1)), T(db(1, 3))])
    c('batch1', [T(da(1, 7)), T(db(7))])
    c('zero_dim_tensor_b', [T(da(3, 5)), T(db(1).reshape(()))])
    c('zero_dim_tensor_a', [T(da(1).reshape(())), T(db(2, 3))])
    c('noncontiguous', [T(da(5, 3), view={'transpose': [0, 1]}), T(db(3, 10), view={'slice': [[0, 3, 1], [1, 10, 2]]})])
    c('empty_0x3', [T(da(0, 3)), T(db(3))])
    c('large_magnitude', [T(large_a(2, 5)), T(large_b(2, 5))])
    for i, v in enumerate(scalar_b):
        c(f'python_scalar_b_{i}', [T(da(3, 5)), V(v)])


BINARY = [
    ('add', torch.add, lambda *s: rn(*s), lambda *s: rn(*s), big, big, [2.5, -3]),
    ('sub', torch.sub, lambda *s: rn(*s), lambda *s: rn(*s), big, big, [2.5, -3]),
    ('mul', torch.mul, lambda *s: rn(*s), lambda *s: rn(*s), big, big, [2.5, -3]),
    ('div', torch.div, lambda *s: rn(*s), lambda *s: away(*s, lo=0.3, hi=3), big, big, [2.5, -3]),
    ('pow', torch.pow, lambda *s: ru(*s, lo=0.2, hi=3), lambda *s: rn(*s),
     lambda *s: ru(*s, lo=1, hi=10), lambda *s: ru(*s, lo=-3, hi=3), [2, 0.5, -1.5]),
    ('maximum', torch.maximum, lambda *s: rn(*s), lambda *s: rn(*s), big, big, []),
    ('minimum', torch.minimum, lambda *s: rn(*s), lambda *s: rn(*s), big, big, []),
]


def make_binary(name, fn, da, db, la, lb, scalars):
    @op(name, f'torch.{fn.__name__}(a, b)', fn)
    def _(c):
        binary_cases(c, da, db, la, lb, scalars)
        if name == 'pow':
            # integer exponents are defined for negative bases
            c('negative_base_int_exponent', [T(rn(3, 5)), V(3)])
            c('negative_base_exponent_2', [T(rn(3, 5)), V(2)])


for _b in BINARY:
    make_binary(*_b)


def make_compare(name, fn):
    def small_ints(*s):
        return ri(*s, lo=-2, hi=3).float()

    @op(name, f'torch.{fn.__name__}(a, b)', fn)
    def _(c):
        c('same_shape_ties', [T(small_ints(3, 5), grad=False), T(small_ints(3, 5), grad=False)])
        c('broadcast_odd', [T(small_ints(3, 1, 5), grad=False), T(small_ints(7, 5), grad=False)])
        c('python_scalar_b', [T(small_ints(3, 5), grad=False), V(1)])
        c('python_float_scalar_b', [T(rn(3, 5), grad=False), V(0.25)])
        c('noncontiguous', [T(small_ints(5, 3), grad=False, view={'transpose': [0, 1]}),
                            T(small_ints(3, 5), grad=False)])
        c('nan_inputs', [T(tval([float('nan'), 1.0, float('nan'), 2.0, float('inf'), -1.0]), grad=False),
                         T(tval([float('nan'), float('nan'), 1.0, 2.0, float('inf'), float('-inf')]), grad=False)])
        c('empty', [T(rn(0, 3), grad=False), T(rn(3), grad=False)])


for _n, _f in [('eq', torch.eq), ('ne', torch.ne), ('lt', torch.lt), ('le', torch.le), ('gt', torch.gt),
               ('ge', torch.ge)]:
    make_compare(_n, _f)


# ----------------------------------------------------------------------------------------------------
# where / clamp / maskedFill
# ----------------------------------------------------------------------------------------------------

@op('where', 'torch.where(cond, a, b)', torch.where)
def _(c):
    c('same_shape', [T(rb(3, 5)), T(rn(3, 5)), T(rn(3, 5))])
    c('broadcast_all', [T(rb(3, 1)), T(rn(1, 5)), T(rn(3, 5))])
    c('zero_dim_b', [T(rb(2, 7)), T(rn(2, 7)), T(rn(1).reshape(()))])
    c('noncontiguous', [T(rb(5, 3), view={'transpose': [0, 1]}), T(rn(5, 3), view={'transpose': [0, 1]}),
                        T(rn(3, 5))])
    c('batch1_3d', [T(rb(1, 3, 5)), T(rn(1, 1, 5)), T(rn(3, 1))])


@op('clamp', 'torch.clamp(x, min, max)', torch.clamp)
def _(c):
    # values kept away from the bounds (the gradient is not defined there)
    def x(*s):
        v = rn(*s, scale=2)
        return torch.where((v - 0.5).abs() < 0.05, v + 0.2, torch.where((v + 1).abs() < 0.05, v + 0.2, v))
    c('min_and_max', [T(x(3, 5)), V(-1.0), V(0.5)])
    c('min_only', [T(x(3, 5)), V(-1.0), V(None)])
    c('max_only', [T(x(3, 5)), V(None), V(0.5)])
    c('noncontiguous', [T(x(5, 3), view={'transpose': [0, 1]}), V(-1.0), V(0.5)])
    c('large_magnitude', [T(big(2, 5)), V(-5000.0), V(2500.0)])
    c('scalar', [T(tval(3.0)), V(-1.0), V(0.5)])
    c('empty', [T(rn(0, 4)), V(-1.0), V(0.5)])


@op('maskedFill', 'torch.Tensor.masked_fill(x, mask, value)', torch.Tensor.masked_fill)
def _(c):
    c('same_shape', [T(rn(3, 5)), T(rb(3, 5)), V(0.0)])
    c('broadcast_mask_rows', [T(rn(3, 5)), T(rb(3, 1)), V(-1e9)])
    c('broadcast_mask_last', [T(rn(2, 3, 5)), T(rb(5)), V(2.5)])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), T(rb(3, 5)), V(-3.0)])
    c('causal_mask', [T(rn(1, 4, 4)), T(torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)),
                      V(-1e9)])



# ----------------------------------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------------------------------

def over_dims(fn):
    """fn(x, dim, keepdim) with dim None (all dims) | int | list of ints, as the TS signature takes it."""
    def f(x, dim, keepdim, *rest):
        if dim is None:
            dim = tuple(range(x.dim()))
        elif isinstance(dim, list):
            dim = tuple(dim)
        if rest:
            return fn(x, dim, *rest, keepdim)
        return fn(x, dim, keepdim=keepdim)
    return f


def reduction_cases(c, dom, large=None, empty=True):
    c('all', [T(dom(3, 5)), V(None), V(False)])
    c('all_keepdim', [T(dom(3, 5)), V(None), V(True)])
    c('dim0_odd', [T(dom(5, 3)), V(0), V(False)])
    c('dim_neg1_keepdim', [T(dom(3, 7)), V(-1), V(True)])
    c('dim_list_3d', [T(dom(3, 4, 5)), V([0, 2]), V(False)])
    c('dim_list_keepdim_3d', [T(dom(2, 3, 5)), V([-1, 1]), V(True)])
    c('middle_dim_batch1', [T(dom(1, 5, 3)), V(1), V(False)])
    c('noncontiguous', [T(dom(4, 3, 5), view={'permute': [2, 0, 1]}), V(1), V(False)])
    c('sliced_view', [T(dom(6, 7), view={'slice': [[1, 6, 2], [0, 7, 3]]}), V(0), V(True)])
    c('scalar_input', [T(dom(1).reshape(())), V(None), V(False)])
    if large is not None:
        c('large_magnitude', [T(large(3, 5)), V(1), V(False)])


@op('sum', 'torch.sum(x, dim, keepdim) (dim None = all dims)', over_dims(torch.sum))
def _(c):
    reduction_cases(c, rn, lambda *s: big(*s))
    c('empty_all', [T(rn(0, 3)), V(None), V(False)])
    c('empty_reduce_empty_dim', [T(rn(0, 3)), V(0), V(False)])
    c('empty_keep_empty_dim', [T(rn(0, 3)), V(1), V(True)])
    c('long_row', [T(rn(2, 300)), V(1), V(False)], tol=(1e-4, 1e-5))


@op('mean', 'torch.mean(x, dim, keepdim) (dim None = all dims)', over_dims(torch.mean))
def _(c):
    reduction_cases(c, rn, lambda *s: big(*s))
    c('empty_keep_empty_dim', [T(rn(0, 3)), V(1), V(False)])
    c('empty_reduce_empty_dim_nan', [T(rn(0, 3)), V(0), V(False)])
    c('long_row', [T(rn(2, 300)), V(1), V(False)], tol=(1e-4, 1e-5))


def prod_fn(x, dim, keepdim):
    if dim is None:
        out = torch.prod(x)
        return out.reshape([1] * x.dim()) if keepdim else out
    return torch.prod(x, dim, keepdim=keepdim)


@op('prod', 'torch.prod(x, dim, keepdim) (dim None = all dims; int dim only)', prod_fn)
def _(c):
    def dom(*s):
        return away(*s, lo=0.5, hi=1.6)
    c('all', [T(dom(3, 5)), V(None), V(False)])
    c('all_keepdim', [T(dom(3, 5)), V(None), V(True)])
    c('dim0_odd', [T(dom(5, 3)), V(0), V(False)])
    c('dim_neg1_keepdim', [T(dom(3, 7)), V(-1), V(True)])
    c('noncontiguous', [T(dom(4, 3, 5), view={'permute': [2, 0, 1]}), V(1), V(False)])
    c('scalar_input', [T(dom(1).reshape(())), V(None), V(False)])
    # Rows with one zero (gradient = product of the others), two zeros (all zero), and none.
    x = dom(3, 4)
    x[0, 2] = 0.0
    x[1, 0] = 0.0
    x[1, 3] = 0.0
    c('zeros_in_rows', [T(x), V(1), V(False)])
    c('empty_reduce_empty_dim', [T(rn(0, 3)), V(0), V(False)])


for _name, _fn in [('amax', torch.amax), ('amin', torch.amin)]:
    def _mk(name, fn):
        @op(name, f'torch.{name}(x, dim, keepdim) (dim None = all dims)', over_dims(fn))
        def _(c):
            reduction_cases(c, distinct, lambda *s: distinct(*s, scale=1e3))
    _mk(_name, _fn)


def max_min_fn(fn):
    def f(x, *rest):
        return fn(x, *rest)
    return f


for _name, _fn in [('max', torch.max), ('min', torch.min)]:
    def _mk(name, fn):
        @op(name, f'torch.{name}(x, dim, keepdim) -> [values, indices]; torch.{name}(x) when args is [x]',
            max_min_fn(fn))
        def _(c):
            c('dim1', [T(distinct(3, 5)), V(1), V(False)])
            c('dim0_keepdim', [T(distinct(5, 3)), V(0), V(True)])
            c('dim_neg1_3d', [T(distinct(2, 3, 5)), V(-1), V(False)])
            c('batch1', [T(distinct(1, 7)), V(0), V(False)])
            c('noncontiguous', [T(distinct(4, 3, 5), view={'permute': [2, 0, 1]}), V(2), V(True)])
            c('large_magnitude', [T(distinct(3, 5, scale=1e3)), V(1), V(False)])
            c('all_reduce', [T(distinct(3, 5))])
            c('scalar_input', [T(rn(1).reshape(())), V(0), V(False)])
    _mk(_name, _fn)


def argfn(fn):
    def f(x, dim, keepdim):
        return fn(x, dim=dim, keepdim=keepdim)
    return f


for _name, _fn in [('argmax', torch.argmax), ('argmin', torch.argmin)]:
    def _mk(name, fn):
        @op(name, f'torch.{name}(x, dim, keepdim) (dim None = index into the flattened tensor)', argfn(fn))
        def _(c):
            c('all_flat', [T(distinct(3, 5), grad=False), V(None), V(False)])
            c('dim1', [T(distinct(3, 5), grad=False), V(1), V(False)])
            c('dim0_keepdim', [T(distinct(5, 3), grad=False), V(0), V(True)])
            c('dim_neg1_3d', [T(distinct(2, 3, 5), grad=False), V(-1), V(False)])
            c('noncontiguous', [T(distinct(4, 3, 5), grad=False, view={'permute': [2, 0, 1]}), V(0), V(False)])
            # ties: the first index of the extreme value wins
            c('ties_first_index', [T(tval([[1.0, 3.0, 3.0, 0.0], [-2.0, -2.0, 5.0, 5.0], [7.0, 7.0, 7.0, 7.0]]),
                                     grad=False), V(1), V(False)])
            c('ties_first_index_flat', [T(tval([[1.0, 3.0, -4.0], [3.0, -4.0, 0.0]]), grad=False), V(None), V(False)])
    _mk(_name, _fn)


def var_std_fn(fn):
    def f(x, dim, unbiased, keepdim):
        if dim is None:
            dim = tuple(range(x.dim()))
        elif isinstance(dim, list):
            dim = tuple(dim)
        return fn(x, dim=dim, unbiased=unbiased, keepdim=keepdim)
    return f


for _name, _fn in [('var', torch.var), ('std', torch.std)]:
    def _mk(name, fn):
        @op(name, f'torch.{name}(x, dim, unbiased, keepdim) (dim None = all dims)', var_std_fn(fn))
        def _(c):
            c('all_unbiased', [T(rn(3, 5)), V(None), V(True), V(False)])
            c('all_biased', [T(rn(3, 5)), V(None), V(False), V(False)])
            c('dim1_unbiased', [T(rn(3, 7)), V(1), V(True), V(False)])
            c('dim0_biased_keepdim', [T(rn(5, 3)), V(0), V(False), V(True)])
            c('dim_list_3d', [T(rn(3, 4, 5)), V([0, 2]), V(True), V(True)])
            c('noncontiguous', [T(rn(4, 3, 5), view={'permute': [2, 0, 1]}), V(-1), V(True), V(False)])
            c('large_offset', [T(rn(3, 5, scale=10, shift=1e3)), V(1), V(True), V(False)])
            c('large_magnitude', [T(big(3, 5)), V(1), V(False), V(False)])
            if name == 'var':  # one element per group, biased: var 0 (the std gradient there is inf)
                c('batch1_dim0_biased', [T(rn(1, 5)), V(0), V(False), V(False)])
            c('single_element_unbiased_nan', [T(rn(1, 5), grad=False), V(0), V(True), V(False)])
    _mk(_name, _fn)


def logsumexp_fn(x, dim, keepdim):
    if isinstance(dim, list):
        dim = tuple(dim)
    elif dim is None:
        dim = tuple(range(x.dim()))
    return torch.logsumexp(x, dim, keepdim=keepdim)


@op('logsumexp', 'torch.logsumexp(x, dim, keepdim) (dim None = all dims)', logsumexp_fn)
def _(c):
    reduction_cases(c, lambda *s: rn(*s, scale=2), lambda *s: big(*s))
    c('large_positive_1e4', [T(ru(3, 5, lo=9e3, hi=1e4)), V(-1), V(False)])
    c('large_negative', [T(ru(3, 5, lo=-1e4, hi=-9e3)), V(1), V(True)])
    x = rn(3, 5)
    x[0, 1] = float('-inf')
    x[2, 0] = float('-inf')
    x[2, 4] = float('-inf')
    c('some_neg_inf', [T(x), V(1), V(False)])


# ----------------------------------------------------------------------------------------------------
# matmul, conv2d, pooling
# ----------------------------------------------------------------------------------------------------

# Long float32 dot products: a SIMD backend accumulating in float32 must still pass.
MM_TOL = (1e-4, 1e-5)


@op('matmul', 'torch.matmul(a, b)', torch.matmul)
def _(c):
    t = MM_TOL
    c('vec_vec', [T(rn(5)), T(rn(5))], tol=t)
    c('vec_mat', [T(rn(3)), T(rn(3, 5))], tol=t)
    c('mat_vec', [T(rn(3, 5)), T(rn(5))], tol=t)
    c('mat_mat_odd', [T(rn(3, 5)), T(rn(5, 7))], tol=t)
    c('batch1_mat_mat', [T(rn(1, 3, 5)), T(rn(5, 2))], tol=t)
    c('batched_3d', [T(rn(2, 3, 5)), T(rn(2, 5, 4))], tol=t)
    c('broadcast_batch_4d_3d', [T(rn(2, 1, 3, 5)), T(rn(3, 5, 4))], tol=t)
    c('batched_3d_vec', [T(rn(2, 3, 5)), T(rn(5))], tol=t)
    c('vec_batched_3d', [T(rn(3)), T(rn(2, 3, 4))], tol=t)
    c('transposed_views', [T(rn(5, 3), view={'transpose': [0, 1]}), T(rn(7, 5), view={'transpose': [0, 1]})],
      tol=t)
    c('batched_permuted_view', [T(rn(5, 2, 3), view={'permute': [1, 2, 0]}), T(rn(2, 5, 4))], tol=t)
    c('sliced_view', [T(rn(6, 5), view={'slice': [[0, 6, 2], [0, 5, 1]]}), T(rn(5, 3))], tol=t)
    c('inner_dim_zero', [T(rn(3, 0)), T(rn(0, 4))], tol=t)
    c('long_inner_dim', [T(rn(2, 200)), T(rn(200, 3))], tol=t)
    c('large_magnitude', [T(big(3, 4, lo=10, hi=100)), T(big(4, 2, lo=10, hi=100))], tol=t)


def conv2d_fn(x, w, b, **kw):
    return F.conv2d(x, w, b, **kw)


CONV_TOL = (1e-4, 1e-5)


@op('conv2d', 'torch.nn.functional.conv2d(x, w, b, stride=, padding=, dilation=, groups=)', conv2d_fn)
def _(c):
    t = CONV_TOL
    c('basic_3x3', [T(rn(2, 2, 5, 7)), T(rn(3, 2, 3, 3)), T(rn(3))], tol=t)
    c('stride2', [T(rn(2, 3, 7, 7)), T(rn(4, 3, 3, 3)), T(rn(4))], {'stride': 2}, tol=t)
    c('padding1', [T(rn(1, 2, 5, 5)), T(rn(3, 2, 3, 3)), T(rn(3))], {'padding': 1}, tol=t)
    c('dilation2', [T(rn(1, 2, 7, 6)), T(rn(2, 2, 3, 3)), T(rn(2))], {'dilation': 2}, tol=t)
    c('groups2', [T(rn(2, 4, 5, 5)), T(rn(6, 2, 3, 3)), T(rn(6))], {'groups': 2}, tol=t)
    c('depthwise_groups3', [T(rn(1, 3, 5, 5)), T(rn(3, 1, 3, 3)), T(rn(3))], {'groups': 3, 'padding': 1}, tol=t)
    c('no_bias', [T(rn(2, 3, 5, 5)), T(rn(2, 3, 3, 3)), V(None)], tol=t)
    c('pairs_stride_padding', [T(rn(1, 2, 7, 5)), T(rn(3, 2, 3, 2)), T(rn(3))],
      {'stride': [2, 1], 'padding': [1, 2]}, tol=t)
    c('all_options', [T(rn(2, 4, 9, 8)), T(rn(4, 2, 3, 3)), T(rn(4))],
      {'stride': [2, 3], 'padding': [2, 1], 'dilation': [2, 1], 'groups': 2}, tol=t)
    c('kernel_1x1', [T(rn(2, 3, 4, 5)), T(rn(5, 3, 1, 1)), T(rn(5))], tol=t)
    c('kernel_equals_input', [T(rn(2, 2, 3, 3)), T(rn(4, 2, 3, 3)), T(rn(4))], tol=t)
    c('noncontiguous_input', [T(rn(2, 5, 3, 5), view={'permute': [0, 2, 3, 1]}), T(rn(2, 3, 3, 3)), T(rn(2))],
      {'padding': 1}, tol=t)
    c('stride_larger_than_kernel', [T(rn(1, 1, 7, 7)), T(rn(2, 1, 2, 2)), T(rn(2))], {'stride': 3}, tol=t)


def pool_fn(fn):
    def f(x, **kw):
        return fn(x, **kw)
    return f


@op('maxPool2d', 'torch.nn.functional.max_pool2d(x, kernel_size=, stride=, padding=, dilation=, ceil_mode=)',
    pool_fn(F.max_pool2d))
def _(c):
    c('k2_default_stride', [T(distinct(2, 3, 6, 6))], {'kernelSize': 2})
    c('k3_s2_p1', [T(distinct(1, 2, 7, 7))], {'kernelSize': 3, 'stride': 2, 'padding': 1})
    c('odd_input_floor', [T(distinct(2, 1, 7, 5))], {'kernelSize': 2, 'stride': 2})
    c('ceil_mode', [T(distinct(2, 1, 7, 5))], {'kernelSize': 2, 'stride': 2, 'ceilMode': True})
    c('ceil_mode_padding', [T(distinct(1, 2, 6, 6))], {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True})
    c('dilation2', [T(distinct(1, 2, 7, 7))], {'kernelSize': 2, 'stride': 1, 'dilation': 2})
    c('pairs', [T(distinct(1, 2, 5, 7))], {'kernelSize': [2, 3], 'stride': [1, 2], 'padding': [1, 1]})
    c('overlapping_windows', [T(distinct(1, 1, 5, 5))], {'kernelSize': 3, 'stride': 1})
    c('negative_values_with_padding', [T(distinct(1, 1, 4, 4) - 100.0)], {'kernelSize': 3, 'stride': 2, 'padding': 1})
    c('noncontiguous', [T(distinct(2, 6, 6, 3), view={'permute': [0, 3, 1, 2]})], {'kernelSize': 2})
    c('unbatched_3d', [T(distinct(2, 5, 5))], {'kernelSize': 2})


@op('avgPool2d',
    'torch.nn.functional.avg_pool2d(x, kernel_size=, stride=, padding=, ceil_mode=, count_include_pad=)',
    pool_fn(F.avg_pool2d))
def _(c):
    c('k2_default_stride', [T(rn(2, 3, 6, 6))], {'kernelSize': 2})
    c('k3_s2_p1_include_pad', [T(rn(1, 2, 7, 7))], {'kernelSize': 3, 'stride': 2, 'padding': 1})
    c('k3_s2_p1_exclude_pad', [T(rn(1, 2, 7, 7))],
      {'kernelSize': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False})
    c('odd_input_floor', [T(rn(2, 1, 7, 5))], {'kernelSize': 2, 'stride': 2})
    c('ceil_mode', [T(rn(2, 1, 7, 5))], {'kernelSize': 2, 'stride': 2, 'ceilMode': True})
    c('ceil_mode_padding_include', [T(rn(1, 2, 6, 6))],
      {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': True})
    c('ceil_mode_padding_exclude', [T(rn(1, 2, 6, 6))],
      {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False})
    c('pairs', [T(rn(1, 2, 5, 7))], {'kernelSize': [2, 3], 'stride': [1, 2], 'padding': [1, 1]})
    c('noncontiguous', [T(rn(2, 6, 6, 3), view={'permute': [0, 3, 1, 2]})], {'kernelSize': 2})
    c('large_magnitude', [T(big(1, 1, 4, 4))], {'kernelSize': 2})
    c('unbatched_3d', [T(rn(2, 5, 5))], {'kernelSize': 2})


@op('adaptiveAvgPool2d', 'torch.nn.functional.adaptive_avg_pool2d(x, output_size)', F.adaptive_avg_pool2d)
def _(c):
    c('divisible_6x6_to_3x3', [T(rn(2, 3, 6, 6)), V([3, 3])])
    c('non_divisible_5x7_to_3x2', [T(rn(1, 2, 5, 7)), V([3, 2])])
    c('global_int_1', [T(rn(2, 3, 5, 5)), V(1)])
    c('upsample_3x3_to_5x4', [T(rn(1, 1, 3, 3)), V([5, 4])])
    c('noncontiguous', [T(rn(2, 7, 5, 3), view={'permute': [0, 3, 1, 2]}), V(2)])
    c('unbatched_3d', [T(rn(2, 5, 5)), V([2, 3])])


# ----------------------------------------------------------------------------------------------------
# softmax / logSoftmax
# ----------------------------------------------------------------------------------------------------

def softmax_cases(c):
    c('last_dim', [T(rn(3, 5)), V(-1)])
    c('dim0', [T(rn(5, 3)), V(0)])
    c('middle_dim_3d', [T(rn(2, 5, 3)), V(1)])
    c('batch1', [T(rn(1, 7)), V(1)])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V(-1)])
    c('large_1e3_1e4', [T(ru(3, 5, lo=1e3, hi=1e4)), V(-1)])
    c('large_spread', [T(big(3, 5)), V(1)])
    c('large_close_values', [T(rn(3, 5, scale=3, shift=5e3)), V(1)])
    x = rn(3, 5)
    x[0, 1] = float('-inf')
    x[1, 3] = float('-inf')
    x[1, 4] = float('-inf')
    c('masked_neg_inf', [T(x), V(1)])
    c('scalar', [T(rn(1).reshape(())), V(0)])
    c('single_class', [T(rn(4, 1)), V(1)])


@op('softmax', 'torch.nn.functional.softmax(x, dim)', F.softmax)
def _(c):
    softmax_cases(c)


@op('logSoftmax', 'torch.nn.functional.log_softmax(x, dim)', F.log_softmax)
def _(c):
    softmax_cases(c)


# ----------------------------------------------------------------------------------------------------
# embedding / gather / indexSelect / scatterAdd
# ----------------------------------------------------------------------------------------------------

def embedding_fn(idx, w, **kw):
    return F.embedding(idx, w, **kw)


@op('embedding', 'torch.nn.functional.embedding(indices, weight, padding_idx=)', embedding_fn)
def _(c):
    c('basic_2d_indices', [T(ri(2, 3, lo=0, hi=7)), T(rn(7, 4))])
    c('repeated_indices_accumulate', [T(tval([[1, 3, 1], [3, 3, 0]], torch.int64)), T(rn(5, 3))])
    c('padding_idx_0', [T(tval([[0, 2, 0, 1], [4, 0, 3, 2]], torch.int64)), T(rn(5, 3))], {'paddingIdx': 0})
    c('padding_idx_negative', [T(tval([4, 2, 4, 1], torch.int64)), T(rn(5, 3))], {'paddingIdx': -1})
    c('one_d_indices', [T(ri(5, lo=0, hi=6)), T(rn(6, 5))])
    c('scalar_index', [T(tval(2, torch.int64)), T(rn(4, 3))])
    c('batch1_3d_indices', [T(ri(1, 2, 3, lo=0, hi=4)), T(rn(4, 2))])
    c('empty_indices', [T(ri(0, lo=0, hi=4)), T(rn(4, 3))])


@op('gather', 'torch.gather(x, dim, index)', torch.gather)
def _(c):
    c('dim0', [T(rn(3, 5)), V(0), T(ri(2, 5, lo=0, hi=3))])
    c('dim1', [T(rn(3, 5)), V(1), T(ri(3, 4, lo=0, hi=5))])
    c('dim_neg1_3d_smaller_index', [T(rn(2, 3, 5)), V(-1), T(ri(2, 2, 3, lo=0, hi=5))])
    c('repeated_indices_accumulate', [T(rn(2, 4)), V(1), T(tval([[1, 1, 1, 3, 1], [0, 0, 2, 2, 3]], torch.int64))])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V(1), T(ri(3, 2, lo=0, hi=5))])
    c('pick_class_log_probs', [T(rn(4, 7)), V(1), T(ri(4, 1, lo=0, hi=7))])


@op('indexSelect', 'torch.index_select(x, dim, index)', torch.index_select)
def _(c):
    c('dim0', [T(rn(5, 3)), V(0), T(tval([4, 0, 2], torch.int64))])
    c('dim1_repeats', [T(rn(3, 5)), V(1), T(tval([1, 1, 4, 0, 1], torch.int64))])
    c('dim_neg1_3d', [T(rn(2, 3, 4)), V(-1), T(tval([3, 0], torch.int64))])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V(1), T(tval([2, 4], torch.int64))])
    c('empty_index', [T(rn(3, 5)), V(0), T(ri(0, lo=0, hi=3))])
    c('one_d', [T(rn(7)), V(0), T(tval([6, 0, 3, 3], torch.int64))])


@op('scatterAdd', 'torch.scatter_add(x, dim, index, src)', torch.scatter_add)
def _(c):
    c('dim0', [T(rn(3, 5)), V(0), T(ri(2, 5, lo=0, hi=3)), T(rn(2, 5))])
    c('dim1_repeats', [T(rn(3, 4)), V(1), T(tval([[0, 0, 3, 0, 1], [2, 2, 2, 2, 2], [1, 3, 3, 0, 0]], torch.int64)),
                       T(rn(3, 5))])
    # (torch 1.13 cannot differentiate src when index is smaller than src, so src matches index here)
    c('index_smaller_than_x', [T(rn(4, 5)), V(1), T(ri(2, 3, lo=0, hi=5)), T(rn(2, 3))])
    c('dim_neg1_3d', [T(rn(2, 3, 4)), V(-1), T(ri(2, 3, 2, lo=0, hi=4)), T(rn(2, 3, 2))])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V(0), T(ri(2, 5, lo=0, hi=3)),
                        T(rn(5, 2), view={'transpose': [0, 1]})])
    c('zeros_base_bincount_like', [T(torch.zeros(4), grad=False), V(0), T(tval([0, 3, 3, 1, 3], torch.int64)),
                                   T(rn(5))])


# ----------------------------------------------------------------------------------------------------
# Joining and splitting
# ----------------------------------------------------------------------------------------------------

@op('cat', 'torch.cat(tensors, dim)', torch.cat)
def _(c):
    c('dim0_odd', [TL([T(rn(3, 5)), T(rn(1, 5)), T(rn(7, 5))]), V(0)])
    c('dim1', [TL([T(rn(3, 2)), T(rn(3, 5))]), V(1)])
    c('dim_neg1_3d', [TL([T(rn(2, 3, 1)), T(rn(2, 3, 4)), T(rn(2, 3, 2))]), V(-1)])
    c('with_empty_member', [TL([T(rn(3, 5)), T(rn(0, 5)), T(rn(2, 5))]), V(0)])
    c('noncontiguous_members', [TL([T(rn(5, 3), view={'transpose': [0, 1]}),
                                    T(rn(3, 8), view={'slice': [[0, 3, 1], [0, 8, 2]]})]), V(1)])
    c('single_tensor', [TL([T(rn(2, 3))]), V(0)])
    c('mixed_requires_grad', [TL([T(rn(2, 3), grad=False), T(rn(2, 3))]), V(0)])
    c('one_d', [TL([T(rn(3)), T(rn(5))]), V(0)])


@op('stack', 'torch.stack(tensors, dim)', torch.stack)
def _(c):
    c('dim0', [TL([T(rn(3, 5)), T(rn(3, 5)), T(rn(3, 5))]), V(0)])
    c('dim1', [TL([T(rn(3, 5)), T(rn(3, 5))]), V(1)])
    c('dim_neg1_new_last', [TL([T(rn(2, 3)), T(rn(2, 3)), T(rn(2, 3))]), V(-1)])
    c('scalars', [TL([T(rn(1).reshape(())), T(rn(1).reshape(())), T(rn(1).reshape(()))]), V(0)])
    c('noncontiguous_members', [TL([T(rn(5, 3), view={'transpose': [0, 1]}), T(rn(3, 5))]), V(1)])
    c('single_tensor', [TL([T(rn(1, 7))]), V(0)])


def split_fn(x, s, dim):
    return list(torch.split(x, s, dim))


@op('split', 'torch.split(x, split_size_or_sections, dim) -> list', split_fn)
def _(c):
    c('size2_of_5_remainder', [T(rn(5, 3)), V(2), V(0)])
    c('sections_1_3_3', [T(rn(2, 7)), V([1, 3, 3]), V(1)])
    c('size_larger_than_dim', [T(rn(3, 4)), V(5), V(0)])
    c('dim_neg1_3d', [T(rn(2, 3, 6)), V(4), V(-1)])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V(2), V(1)])
    c('sections_with_zero', [T(rn(4, 3)), V([2, 0, 2]), V(0)])


def chunk_fn(x, n, dim):
    return list(torch.chunk(x, n, dim))


@op('chunk', 'torch.chunk(x, chunks, dim) -> list', chunk_fn)
def _(c):
    c('7_into_3', [T(rn(7, 2)), V(3), V(0)])
    c('5_into_4_gives_3', [T(rn(2, 5)), V(4), V(1)])
    c('6_into_3_even', [T(rn(3, 6)), V(3), V(-1)])
    c('more_chunks_than_size', [T(rn(2, 3)), V(5), V(0)])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V(2), V(1)])


# ----------------------------------------------------------------------------------------------------
# Views
# ----------------------------------------------------------------------------------------------------

@op('reshape', 'torch.reshape(x, shape)', torch.reshape)
def _(c):
    c('2d_to_3d', [T(rn(3, 4)), V([2, 3, 2])])
    c('infer_minus1', [T(rn(3, 5)), V([5, -1])])
    c('flatten_all', [T(rn(2, 3, 5)), V([-1])])
    c('noncontiguous_needs_copy', [T(rn(5, 3), view={'transpose': [0, 1]}), V([15])])
    c('permuted_to_2d', [T(rn(2, 3, 4), view={'permute': [2, 0, 1]}), V([4, 6])])
    c('one_to_scalar', [T(rn(1)), V([])])
    c('scalar_to_1x1', [T(rn(1).reshape(())), V([1, 1])])
    c('empty', [T(rn(0, 3)), V([3, 0])])


@op('transpose', 'torch.transpose(x, dim0, dim1)', torch.transpose)
def _(c):
    c('2d', [T(rn(3, 5)), V(0), V(1)])
    c('3d_negative_dims', [T(rn(2, 3, 5)), V(-1), V(0)])
    c('same_dim', [T(rn(3, 4)), V(1), V(1)])
    c('of_view', [T(rn(4, 3, 5), view={'permute': [1, 2, 0]}), V(0), V(2)])


@op('permute', 'torch.permute(x, dims)', torch.permute)
def _(c):
    c('3d', [T(rn(2, 3, 5)), V([2, 0, 1])])
    c('4d_negative_dims', [T(rn(1, 2, 3, 4)), V([-1, 0, -2, 1])])
    c('identity', [T(rn(3, 4)), V([0, 1])])
    c('of_view', [T(rn(4, 3, 5), view={'slice': [[0, 4, 2], [0, 3, 1], [1, 5, 1]]}), V([1, 2, 0])])


@op('narrow', 'torch.narrow(x, dim, start, length)', torch.narrow)
def _(c):
    c('dim0', [T(rn(5, 3)), V(0), V(1), V(3)])
    c('dim1', [T(rn(3, 7)), V(1), V(2), V(4)])
    c('dim_neg1_3d', [T(rn(2, 3, 5)), V(-1), V(0), V(2)])
    c('length_zero', [T(rn(3, 4)), V(1), V(2), V(0)])
    c('of_view', [T(rn(5, 4), view={'transpose': [0, 1]}), V(1), V(1), V(3)])
    c('negative_start', [T(rn(3, 6)), V(1), V(-4), V(3)])


def expand_fn(x, sizes):
    return x.expand(*sizes)


@op('expand', 'torch.Tensor.expand(x, *sizes)', expand_fn)
def _(c):
    c('column_to_matrix', [T(rn(3, 1)), V([3, 5])])
    c('minus1_keeps', [T(rn(1, 4)), V([3, -1])])
    c('new_leading_dims', [T(rn(3, 1)), V([2, 3, 5])])
    c('scalar', [T(rn(1).reshape(())), V([2, 3])])
    c('no_op', [T(rn(2, 3)), V([2, 3])])
    c('of_view', [T(rn(1, 3), view={'transpose': [0, 1]}), V([3, 4])])


def squeeze_fn(x, dim):
    return torch.squeeze(x) if dim is None else torch.squeeze(x, dim)


@op('squeeze', 'torch.squeeze(x) when dim is None, else torch.squeeze(x, dim)', squeeze_fn)
def _(c):
    c('all_ones_removed', [T(rn(1, 3, 1, 5)), V(None)])
    c('dim0', [T(rn(1, 3, 5)), V(0)])
    c('dim_neg1', [T(rn(3, 1)), V(-1)])
    c('non_size1_dim_is_noop', [T(rn(3, 5)), V(1)])
    c('to_scalar', [T(rn(1, 1)), V(None)])
    c('of_view', [T(rn(3, 1, 5), view={'permute': [1, 2, 0]}), V(0)])


@op('unsqueeze', 'torch.unsqueeze(x, dim)', torch.unsqueeze)
def _(c):
    c('dim0', [T(rn(3, 5)), V(0)])
    c('dim_neg1', [T(rn(3, 5)), V(-1)])
    c('middle', [T(rn(3, 5)), V(1)])
    c('scalar', [T(rn(1).reshape(())), V(0)])
    c('of_view', [T(rn(5, 3), view={'transpose': [0, 1]}), V(2)])


@op('flatten', 'torch.flatten(x, start_dim, end_dim)', torch.flatten)
def _(c):
    c('all', [T(rn(2, 3, 4)), V(0), V(-1)])
    c('from1', [T(rn(2, 3, 2, 2)), V(1), V(-1)])
    c('middle', [T(rn(2, 3, 2, 2)), V(1), V(2)])
    c('single_dim_noop', [T(rn(3, 4)), V(1), V(1)])
    c('scalar_to_1d', [T(rn(1).reshape(())), V(0), V(-1)])
    c('of_view', [T(rn(4, 3, 2), view={'permute': [2, 1, 0]}), V(0), V(1)])


def index_fn(x, spec):
    key = tuple(slice(*s) if isinstance(s, list) else s for s in spec)
    return x[key]


@op('index', 'x[spec] with spec[i] an int (select, removes the dim) or [start, stop, step] (Python slice)',
    index_fn)
def _(c):
    c('step2_rows', [T(rn(7, 3)), V([[0, 7, 2]])])
    c('both_dims', [T(rn(5, 6)), V([[1, 4, 1], [0, 6, 3]])])
    c('int_select_removes_dim', [T(rn(3, 5)), V([1])])
    c('mixed_int_and_slice', [T(rn(2, 3, 5)), V([[0, 2, 1], 2, [1, 5, 2]])])
    c('negative_bounds', [T(rn(4, 6)), V([[-3, None, 1], [None, -1, 2]])])
    c('negative_int', [T(rn(4, 3)), V([-1, [0, 3, 2]])])
    c('nulls_full_range', [T(rn(3, 4)), V([[None, None, None], [1, None, None]])])
    c('out_of_range_stop_clamped', [T(rn(3, 4)), V([[1, 100, 1]])])
    c('empty_result', [T(rn(3, 4)), V([[2, 1, 1]])])
    c('of_view', [T(rn(5, 4), view={'transpose': [0, 1]}), V([[0, 4, 3], [1, 5, 2]])])
    c('all_ints_to_scalar', [T(rn(3, 4)), V([2, 1])])


# ----------------------------------------------------------------------------------------------------
# nn.functional layers and activations
# ----------------------------------------------------------------------------------------------------

@op('linear', 'torch.nn.functional.linear(x, w, b)', F.linear)
def _(c):
    t = MM_TOL
    c('basic', [T(rn(3, 5)), T(rn(4, 5)), T(rn(4))], tol=t)
    c('no_bias', [T(rn(3, 5)), T(rn(2, 5)), V(None)], tol=t)
    c('batched_3d', [T(rn(2, 3, 5)), T(rn(4, 5)), T(rn(4))], tol=t)
    c('one_d_input', [T(rn(5)), T(rn(3, 5)), T(rn(3))], tol=t)
    c('batch1', [T(rn(1, 7)), T(rn(3, 7)), T(rn(3))], tol=t)
    c('noncontiguous_input', [T(rn(5, 3), view={'transpose': [0, 1]}), T(rn(2, 5)), T(rn(2))], tol=t)
    c('empty_batch', [T(rn(0, 5)), T(rn(3, 5)), T(rn(3))], tol=t)


def gelu_fn(x, **kw):
    return F.gelu(x, **kw)


@op('gelu', "torch.nn.functional.gelu(x, approximate='none'|'tanh')", gelu_fn)
def _(c):
    for a in ['none', 'tanh']:
        c(f'{a}_odd', [T(rn(3, 5, scale=2))], {'approximate': a})
        c(f'{a}_large', [T(big(2, 5, lo=5, hi=60))], {'approximate': a})
        c(f'{a}_noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]})], {'approximate': a})
    c('default_scalar', [T(rn(1).reshape(()))])


@op('leakyRelu', 'torch.nn.functional.leaky_relu(x, negative_slope)', F.leaky_relu)
def _(c):
    c('slope_0.01', [T(away(3, 5)), V(0.01)])
    c('slope_0.2', [T(away(3, 5)), V(0.2)])
    c('large_magnitude', [T(big(2, 5)), V(0.1)])
    c('noncontiguous', [T(away(5, 3), view={'transpose': [0, 1]}), V(0.01)])


@op('elu', 'torch.nn.functional.elu(x, alpha)', F.elu)
def _(c):
    c('alpha1', [T(away(3, 5, lo=0.05, hi=3)), V(1.0)])
    c('alpha_0.5', [T(away(3, 5, lo=0.05, hi=3)), V(0.5)])
    c('large_magnitude', [T(big(2, 5, lo=20, hi=100)), V(1.0)])
    c('noncontiguous', [T(away(5, 3), view={'transpose': [0, 1]}), V(1.0)])


@op('silu', 'torch.nn.functional.silu(x)', F.silu)
def _(c):
    c('odd', [T(rn(3, 5, scale=2))])
    c('large_magnitude', [T(big(2, 5, lo=50, hi=120))])
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]})])
    c('scalar', [T(rn(1).reshape(()))])


def softplus_fn(x, **kw):
    return F.softplus(x, **kw)


@op('softplus', 'torch.nn.functional.softplus(x, beta=, threshold=)', softplus_fn)
def _(c):
    c('defaults', [T(rn(3, 5, scale=3))])
    c('defaults_large_linear_region', [T(big(2, 5, lo=25, hi=100))])
    c('beta2_threshold5', [T(away(3, 5, lo=0.1, hi=4))], {'beta': 2.0, 'threshold': 5.0})
    c('beta_0.5', [T(rn(3, 5, scale=3))], {'beta': 0.5})
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]})], {'beta': 1.0, 'threshold': 20.0})


NORM_TOL = (1e-4, 1e-5)


@op('layerNorm', 'torch.nn.functional.layer_norm(x, normalized_shape, weight, bias, eps)', F.layer_norm)
def _(c):
    t = NORM_TOL
    c('last_dim_affine', [T(rn(3, 5)), V([5]), T(rn(5)), T(rn(5)), V(1e-5)], tol=t)
    c('two_dims_affine', [T(rn(2, 4, 5)), V([4, 5]), T(rn(4, 5)), T(rn(4, 5)), V(1e-5)], tol=t)
    c('no_affine', [T(rn(3, 7)), V([7]), V(None), V(None), V(1e-5)], tol=t)
    c('weight_only', [T(rn(3, 5)), V([5]), T(rn(5)), V(None), V(1e-5)], tol=t)
    c('eps_1e-3', [T(rn(2, 3, 5, scale=0.1)), V([5]), T(rn(5)), T(rn(5)), V(1e-3)], tol=t)
    c('batch1', [T(rn(1, 7)), V([7]), T(rn(7)), T(rn(7)), V(1e-5)], tol=t)
    c('large_offset', [T(rn(3, 5, scale=2, shift=1e3)), V([5]), T(rn(5)), T(rn(5)), V(1e-5)], tol=t)
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), V([5]), T(rn(5)), T(rn(5)), V(1e-5)], tol=t)


def batch_norm_fn(x, rm, rv, w, b, training, momentum, eps):
    rm2 = rm.detach().clone() if rm is not None else None
    rv2 = rv.detach().clone() if rv is not None else None
    out = F.batch_norm(x, rm2, rv2, w, b, training, momentum, eps)
    return out, ([rm2, rv2] if rm is not None else None)


@op('batchNorm',
    'torch.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)',
    batch_norm_fn)
def _(c):
    t = NORM_TOL

    def stats(ch):
        return T(rn(ch, scale=0.5), grad=False), T(ru(ch, lo=0.5, hi=2.0), grad=False)

    rm, rv = stats(3)
    c('train_2d_affine_running', [T(rn(4, 3)), rm, rv, T(rn(3)), T(rn(3)), V(True), V(0.1), V(1e-5)],
      tol=t, after=True)
    rm, rv = stats(3)
    c('train_4d_affine_running', [T(rn(2, 3, 4, 5)), rm, rv, T(rn(3)), T(rn(3)), V(True), V(0.1), V(1e-5)],
      tol=t, after=True)
    c('train_no_running_no_affine', [T(rn(5, 2, 3)), V(None), V(None), V(None), V(None), V(True), V(0.1),
                                     V(1e-5)], tol=t, after=True)
    rm, rv = stats(2)
    c('train_batch1_spatial_momentum_0.3', [T(rn(1, 2, 3, 3)), rm, rv, T(rn(2)), T(rn(2)), V(True), V(0.3),
                                            V(1e-3)], tol=t, after=True)
    rm, rv = stats(3)
    c('train_large_offset', [T(rn(6, 3, scale=3, shift=1e3)), rm, rv, T(rn(3)), T(rn(3)), V(True), V(0.1),
                             V(1e-5)], tol=t, after=True)
    rm, rv = stats(2)
    c('train_noncontiguous', [T(rn(4, 5, 3, 2), view={'permute': [0, 3, 1, 2]}), rm, rv, T(rn(2)), T(rn(2)),
                              V(True), V(0.1), V(1e-5)], tol=t, after=True)
    rm, rv = stats(3)
    c('eval_uses_running_stats', [T(rn(4, 3, 2)), rm, rv, T(rn(3)), T(rn(3)), V(False), V(0.1), V(1e-5)],
      tol=t, after=True)


# ----------------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------------

def loss_fn(fn):
    def f(x, y, **kw):
        return fn(x, y, **kw)
    return f


def regression_loss_cases(c, extra_kw, target_near=None):
    def tgt(x):
        return x + away(*x.shape, lo=0.05, hi=2.5)
    for r in ['mean', 'sum', 'none']:
        x = rn(3, 5)
        c(f'{r}', [T(x), T(tgt(x))], {'reduction': r, **extra_kw})
    x = rn(2, 3, 5)
    c('target_no_grad_3d', [T(x), T(tgt(x), grad=False)], {'reduction': 'mean', **extra_kw})
    x = rn(1)
    c('scalar_sum', [T(x.reshape(())), T(tgt(x).reshape(()))], {'reduction': 'sum', **extra_kw})
    x = rn(5, 3)
    c('noncontiguous', [T(x, view={'transpose': [0, 1]}), T(tgt(x.t().contiguous()))], {'reduction': 'mean', **extra_kw})
    x = big(2, 5)
    c('large_magnitude', [T(x), T(tgt(x) + big(2, 5, lo=10, hi=100))], {'reduction': 'mean', **extra_kw})


@op('mseLoss', 'torch.nn.functional.mse_loss(input, target, reduction=)', loss_fn(F.mse_loss))
def _(c):
    regression_loss_cases(c, {})


@op('l1Loss', 'torch.nn.functional.l1_loss(input, target, reduction=)', loss_fn(F.l1_loss))
def _(c):
    regression_loss_cases(c, {})


@op('smoothL1Loss', 'torch.nn.functional.smooth_l1_loss(input, target, reduction=, beta=)',
    loss_fn(F.smooth_l1_loss))
def _(c):
    regression_loss_cases(c, {'beta': 1.0})
    x = rn(3, 5)
    c('beta_0.5_mean', [T(x), T(x + away(3, 5, lo=0.05, hi=1.0))], {'reduction': 'mean', 'beta': 0.5})
    c('default_beta', [T(x), T(x + away(3, 5, lo=0.05, hi=2.0))])


@op('huberLoss', 'torch.nn.functional.huber_loss(input, target, reduction=, delta=)', loss_fn(F.huber_loss))
def _(c):
    regression_loss_cases(c, {'delta': 1.0})
    x = rn(3, 5)
    c('delta_2_mean', [T(x), T(x + away(3, 5, lo=0.05, hi=4.0))], {'reduction': 'mean', 'delta': 2.0})
    c('delta_0.3_none', [T(x), T(x + away(3, 5, lo=0.05, hi=1.0))], {'reduction': 'none', 'delta': 0.3})


def idx(*shape, classes):
    return T(ri(*shape, lo=0, hi=classes))


def probs_target(*shape, dim=1):
    return T(torch.softmax(rn(*shape, scale=2), dim=dim), grad=False)


@op('crossEntropy',
    'torch.nn.functional.cross_entropy(input, target, weight=, ignore_index=, reduction=, label_smoothing=)',
    loss_fn(F.cross_entropy))
def _(c):
    for r in ['mean', 'sum', 'none']:
        c(f'class_index_{r}', [T(rn(4, 5)), idx(4, classes=5)], {'reduction': r})
    c('weight_mean', [T(rn(5, 3)), idx(5, classes=3)], {'weight': T(ru(3, lo=0.2, hi=2), grad=False)})
    c('weight_none', [T(rn(5, 3)), idx(5, classes=3)],
      {'weight': T(ru(3, lo=0.2, hi=2), grad=False), 'reduction': 'none'})
    c('ignore_index_default_minus100', [T(rn(4, 5)), T(tval([1, -100, 4, -100], torch.int64))])
    c('ignore_index_2_weighted', [T(rn(6, 4)), T(tval([2, 0, 2, 3, 1, 3], torch.int64))],
      {'ignoreIndex': 2, 'weight': T(ru(4, lo=0.2, hi=2), grad=False)})
    c('ignore_index_sum', [T(rn(4, 3)), T(tval([0, 1, 1, 2], torch.int64))], {'ignoreIndex': 1, 'reduction': 'sum'})
    c('label_smoothing_0.1', [T(rn(4, 5)), idx(4, classes=5)], {'labelSmoothing': 0.1})
    c('label_smoothing_weighted', [T(rn(5, 4)), idx(5, classes=4)],
      {'labelSmoothing': 0.2, 'weight': T(ru(4, lo=0.2, hi=2), grad=False)})
    c('label_smoothing_ignore_none', [T(rn(4, 3)), T(tval([0, 2, -100, 1], torch.int64))],
      {'labelSmoothing': 0.3, 'reduction': 'none'})
    c('spatial_nc_d1_mean', [T(rn(2, 4, 3)), idx(2, 3, classes=4)])
    c('spatial_nc_d1_none', [T(rn(2, 4, 3)), idx(2, 3, classes=4)], {'reduction': 'none'})
    c('spatial_nchw_weighted', [T(rn(2, 3, 2, 2)), idx(2, 2, 2, classes=3)],
      {'weight': T(ru(3, lo=0.2, hi=2), grad=False)})
    c('prob_targets_mean', [T(rn(3, 5)), probs_target(3, 5)])
    c('prob_targets_sum_smoothing', [T(rn(3, 5)), probs_target(3, 5)], {'reduction': 'sum', 'labelSmoothing': 0.1})
    c('prob_targets_weighted_none', [T(rn(4, 3)), probs_target(4, 3)],
      {'reduction': 'none', 'weight': T(ru(3, lo=0.2, hi=2), grad=False)})
    c('prob_targets_spatial', [T(rn(2, 4, 3)), probs_target(2, 4, 3)])
    c('large_logits', [T(big(4, 5)), idx(4, classes=5)])
    c('large_logits_1e4_close', [T(ru(3, 4, lo=9.99e3, hi=1e4)), idx(3, classes=4)])
    c('unbatched', [T(rn(5)), T(tval(3, torch.int64))])
    c('batch1', [T(rn(1, 7)), idx(1, classes=7)])
    c('noncontiguous', [T(rn(5, 4), view={'transpose': [0, 1]}), idx(4, classes=5)])


def log_probs(*shape, dim=1):
    return T(torch.log_softmax(rn(*shape, scale=2), dim=dim))


@op('nllLoss', 'torch.nn.functional.nll_loss(input, target, weight=, ignore_index=, reduction=)',
    loss_fn(F.nll_loss))
def _(c):
    for r in ['mean', 'sum', 'none']:
        c(f'{r}', [log_probs(4, 5), idx(4, classes=5)], {'reduction': r})
    c('weight_mean', [log_probs(5, 3), idx(5, classes=3)], {'weight': T(ru(3, lo=0.2, hi=2), grad=False)})
    c('weight_sum', [log_probs(5, 3), idx(5, classes=3)],
      {'weight': T(ru(3, lo=0.2, hi=2), grad=False), 'reduction': 'sum'})
    c('ignore_index_default', [log_probs(4, 3), T(tval([2, -100, 0, 1], torch.int64))])
    c('ignore_index_custom_weighted_none', [log_probs(4, 3), T(tval([2, 1, 0, 1], torch.int64))],
      {'ignoreIndex': 1, 'weight': T(ru(3, lo=0.2, hi=2), grad=False), 'reduction': 'none'})
    c('spatial_nc_d1', [log_probs(2, 4, 3), idx(2, 3, classes=4)])
    c('unbatched', [log_probs(5, dim=0), T(tval(1, torch.int64))])
    c('arbitrary_values_not_log_probs', [T(rn(3, 4)), idx(3, classes=4)])


@op('binaryCrossEntropy', 'torch.nn.functional.binary_cross_entropy(input, target, weight=, reduction=)',
    loss_fn(F.binary_cross_entropy))
def _(c):
    for r in ['mean', 'sum', 'none']:
        c(f'hard_targets_{r}', [T(ru(3, 5, lo=0.05, hi=0.95)), T(rb(3, 5).float(), grad=False)], {'reduction': r})
    c('soft_targets', [T(ru(4, 3, lo=0.05, hi=0.95)), T(ru(4, 3), grad=False)])
    c('weight_broadcast', [T(ru(3, 5, lo=0.05, hi=0.95)), T(rb(3, 5).float(), grad=False)],
      {'weight': T(ru(5, lo=0.2, hi=2), grad=False)})
    c('weight_full_sum', [T(ru(2, 3, lo=0.05, hi=0.95)), T(ru(2, 3), grad=False)],
      {'weight': T(ru(2, 3, lo=0.2, hi=2), grad=False), 'reduction': 'sum'})
    c('near_0_and_1', [T(tval([1e-4, 0.9999, 0.001, 0.999, 0.5])), T(tval([0.0, 1.0, 1.0, 0.0, 1.0]), grad=False)],
      {'reduction': 'none'})
    c('scalar', [T(tval(0.3)), T(tval(1.0), grad=False)])
    c('noncontiguous', [T(ru(5, 3, lo=0.05, hi=0.95), view={'transpose': [0, 1]}), T(rb(3, 5).float(), grad=False)])


@op('binaryCrossEntropyWithLogits',
    'torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight=, pos_weight=, reduction=)',
    loss_fn(F.binary_cross_entropy_with_logits))
def _(c):
    for r in ['mean', 'sum', 'none']:
        c(f'hard_targets_{r}', [T(rn(3, 5, scale=2)), T(rb(3, 5).float(), grad=False)], {'reduction': r})
    c('soft_targets', [T(rn(4, 3, scale=2)), T(ru(4, 3), grad=False)])
    c('pos_weight', [T(rn(4, 3, scale=2)), T(rb(4, 3).float(), grad=False)],
      {'posWeight': T(ru(3, lo=0.5, hi=3), grad=False)})
    c('pos_weight_none', [T(rn(4, 3, scale=2)), T(ru(4, 3), grad=False)],
      {'posWeight': T(ru(3, lo=0.5, hi=3), grad=False), 'reduction': 'none'})
    c('weight_and_pos_weight_sum', [T(rn(2, 3, scale=2)), T(rb(2, 3).float(), grad=False)],
      {'weight': T(ru(3, lo=0.2, hi=2), grad=False), 'posWeight': T(ru(3, lo=0.5, hi=3), grad=False),
       'reduction': 'sum'})
    c('large_logits_stable', [T(big(3, 4, lo=20, hi=120)), T(rb(3, 4).float(), grad=False)], {'reduction': 'none'})
    c('large_logits_pos_weight', [T(big(3, 4, lo=20, hi=120)), T(rb(3, 4).float(), grad=False)],
      {'posWeight': T(ru(4, lo=0.5, hi=3), grad=False), 'reduction': 'none'})
    c('noncontiguous', [T(rn(5, 3), view={'transpose': [0, 1]}), T(rb(3, 5).float(), grad=False)])


# ----------------------------------------------------------------------------------------------------
# Verification: every file on disk is re-read and re-evaluated from its JSON alone, as a consumer would
# ----------------------------------------------------------------------------------------------------

def decode_tensor(d):
    def num(v):
        return float(v) if isinstance(v, str) else v  # 'nan', 'inf', '-inf'
    if len(d['data']) != math.prod(d['shape']):
        raise AssertionError(f'data length {len(d["data"])} != prod(shape {d["shape"]})')
    if d['dtype'] == 'float32':
        return torch.tensor([num(v) for v in d['data']], dtype=torch.float32).reshape(d['shape'])
    if d['dtype'] == 'int32':
        return torch.tensor(d['data'], dtype=torch.int64).reshape(d['shape'])
    if d['dtype'] == 'bool':
        return torch.tensor(d['data'], dtype=torch.bool).reshape(d['shape'])
    raise AssertionError(f'unknown dtype {d["dtype"]}')


def decode_arg_tensor(d):
    x = apply_view(decode_tensor(d), d.get('view')).detach()
    if d['requiresGrad']:
        x.requires_grad_(True)
    return x


def check_close(actual, expected_json, tol, what):
    if expected_json is None:
        if actual is not None:
            raise AssertionError(f'{what}: stored null but torch gives a value')
        return
    if isinstance(expected_json, list):
        if not isinstance(actual, list) or len(actual) != len(expected_json):
            raise AssertionError(f'{what}: list length mismatch')
        for i, (a, e) in enumerate(zip(actual, expected_json)):
            check_close(a, e, tol, f'{what}[{i}]')
        return
    e = decode_tensor(expected_json)
    a = actual.detach()
    if list(a.shape) != list(e.shape):
        raise AssertionError(f'{what}: shape {list(a.shape)} vs stored {list(e.shape)}')
    if e.dtype.is_floating_point:
        if not torch.allclose(a.float(), e, rtol=tol['rtol'], atol=tol['atol'], equal_nan=True):
            raise AssertionError(f'{what}: re-evaluated value outside tolerance')
    elif not torch.equal(a.to(e.dtype), e):
        raise AssertionError(f'{what}: integer/bool value differs')


def verify_file(path, fns):
    with open(path) as f:
        d = json.load(f)
    fn = fns[d['op']]
    names = set()
    for c in d['cases']:
        what = f'{d["op"]}/{c["name"]}'
        if c['name'] in names:
            raise AssertionError(f'{what}: duplicate case name')
        names.add(c['name'])
        if len(c['grads']) != len(c['args']):
            raise AssertionError(f'{what}: {len(c["grads"])} grads for {len(c["args"])} args')
        args, leaves = [], []
        for a in c['args']:
            if 'tensor' in a:
                x = decode_arg_tensor(a['tensor'])
                args.append(x)
                leaves.append(x if x.requires_grad else None)
            elif 'tensors' in a:
                xs = [decode_arg_tensor(t) for t in a['tensors']]
                args.append(xs)
                leaves.append([x if x.requires_grad else None for x in xs])
            else:
                args.append(a['value'])
                leaves.append(None)
        kw = {camel_to_snake(k): (decode_arg_tensor(v['tensor']) if isinstance(v, dict) and 'tensor' in v else v)
              for k, v in c['kwargs'].items()}
        res = fn(*args, **kw)
        after = None
        if 'after' in c:
            res, after = res
            check_close(after, c['after'], c['tol'], f'{what} after')
        outs, multi = as_list(res)
        check_close(outs if multi else outs[0], c['out'], c['tol'], f'{what} out')
        ups = c['upstream']
        if ups is None:
            if any(g is not None for g in c['grads']):
                raise AssertionError(f'{what}: grads without upstream')
            if any(l is not None for l in flat_leaves(leaves)):
                raise AssertionError(f'{what}: requiresGrad input but no upstream')
            continue
        ups = ups if multi else [ups]
        pairs = [(o, decode_tensor(u)) for o, u in zip(outs, ups) if u is not None]
        for o, u in pairs:
            if list(o.shape) != list(u.shape):
                raise AssertionError(f'{what}: upstream shape {list(u.shape)} vs out {list(o.shape)}')
        inputs = flat_leaves(leaves)
        got = torch.autograd.grad([o for o, _ in pairs], inputs, grad_outputs=[u for _, u in pairs],
                                  allow_unused=True)
        it = iter(g if g is not None else torch.zeros_like(x) for g, x in zip(got, inputs))
        grads = []
        for l in leaves:
            if isinstance(l, list):
                grads.append([next(it) if x is not None else None for x in l])
            else:
                grads.append(next(it) if l is not None else None)
        check_close(grads, c['grads'], c['gradTol'], f'{what} grads')
    return len(d['cases'])


def verify_all():
    fns = {name: fn for name, _, fn, _ in OPS}
    n = 0
    files = sorted(f for f in os.listdir(OUT_DIR) if f.endswith('.json') and not f.startswith('_'))
    for fn in files:
        if fn[:-5] not in fns:
            raise AssertionError(f'{fn}: no op of that name in the generator (stale file?)')
        n += verify_file(os.path.join(OUT_DIR, fn), fns)
    with open(os.path.join(OUT_DIR, '_index.json')) as f:
        index = json.load(f)
    if [e['file'] for e in index['ops']] != files or index['totalCases'] != n:
        raise AssertionError('_index.json does not match the op files')
    size = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    if size > 8 * 1024 * 1024:
        raise AssertionError(f'fixtures total {size} bytes, over the 8 MB budget')
    print(f'verified {len(files)} op files, {n} cases, {size} bytes in all', file=sys.stderr)

# ----------------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------------

def write_op(o):
    path = os.path.join(OUT_DIR, f'{o.name}.json')
    head = json.dumps({'op': o.name, 'torch': o.torch_str}, separators=(',', ':'))[:-1]
    lines = [json.dumps(c, separators=(',', ':'), allow_nan=False) for c in o.cases]
    with open(path, 'w') as f:
        f.write(head + ',"cases":[\n' + ',\n'.join(lines) + '\n]}\n')
    return os.path.getsize(path)


def write_index():
    entries = []
    for fn in sorted(os.listdir(OUT_DIR)):
        if not fn.endswith('.json') or fn.startswith('_'):
            continue
        with open(os.path.join(OUT_DIR, fn)) as f:
            d = json.load(f)
        entries.append({'op': d['op'], 'file': fn, 'torch': d['torch'], 'cases': len(d['cases'])})
    index = {
        'generator': 'scripts/gen_golden_ops.py',
        'torchVersion': torch.__version__.split('+')[0],
        'ops': entries,
        'totalCases': sum(e['cases'] for e in entries),
    }
    with open(os.path.join(OUT_DIR, '_index.json'), 'w') as f:
        ops = ',\n'.join('  ' + json.dumps(e) for e in entries)
        f.write(json.dumps({k: v for k, v in index.items() if k != 'ops'})[:-1] + ', "ops": [\n' + ops + '\n]}\n')
    return index


def main(argv):
    only = set(argv)
    known = {name for name, _, _, _ in OPS}
    unknown = only - known
    if unknown:
        sys.exit(f'[gen_golden_ops] unknown op(s): {sorted(unknown)}; known: {sorted(known)}')
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for name, torch_str, fn, gen in OPS:
        if only and name not in only:
            continue
        torch.manual_seed(zlib.crc32(name.encode()))
        o = Op(name, torch_str, fn)
        gen(o.case)
        size = write_op(o)
        total += size
        print(f'{name}: {len(o.cases)} cases, {size} bytes', file=sys.stderr)
    index = write_index()
    print(f'wrote {len(index["ops"])} op files, {index["totalCases"]} cases ({total} bytes this run)',
          file=sys.stderr)
    verify_all()


if __name__ == '__main__':
    main(sys.argv[1:])
