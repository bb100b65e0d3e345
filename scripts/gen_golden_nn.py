#!/usr/bin/python3
"""Generate the PyTorch golden fixtures for the nn layers: test/fixtures/golden/nn/<layer>.json.

Run with Debian's interpreter (PyTorch 1.13 is installed for it):

    /usr/bin/python3 scripts/gen_golden_nn.py

Every case runs a torch.nn module in float64 with a random state dict (not torch's default init, so
that e.g. BatchNorm's weight is not all ones), on a random input, and stores:
  - "module": the TypeScript layer to build ({className, config}, dtype float64), and "train" (mode);
  - "stateDict": torch's state dict (int64 buffers as int32), loaded strictly by the test;
  - "args": the TypeScript forward arguments (tensors, plain values, tuples, option objects);
  - "out", "upstream" (random normal, never ones), "grads" (every float input, every parameter);
  - "after": buffers after the forward (BatchNorm running statistics and num_batches_tracked).
The file format is in test/fixtures/golden/nn/README.md.

It also checks safetensors interchange both ways, and keeps that check here:
  1. torch writes a state dict as safetensors (with the `safetensors` package if it can be imported,
     else with the hand-written writer below); the file is committed as
     test/fixtures/golden/nn/torch_state.safetensors with its values in torch_state.json, and a TS test
     loads it into the same architecture and compares the values;
  2. our TypeScript code (run with node + tsx) writes a safetensors file; this script parses it by hand
     (and with `safetensors` if available), loads it into torch with load_state_dict(strict=True) (same
     keys) and compares every value with what the TS side reported.

Output is deterministic: one CPU thread, a fixed seed per file (crc32 of its name).
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'nn')
TOL = {'rtol': 1e-9, 'atol': 1e-11}

try:  # optional: the reference implementation, when importable
    import safetensors.torch as st_torch  # type: ignore
except Exception:  # noqa: BLE001
    st_torch = None


# ----------------------------------------------------------------------------------------------------
# Serialisation helpers
# ----------------------------------------------------------------------------------------------------

def td(t):
    """TensorData: shape, dtype, flat data (float64 written with repr, which round-trips exactly)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bool:
        return {'shape': list(t.shape), 'dtype': 'bool', 'data': [int(v) for v in t.flatten().tolist()]}
    if not t.dtype.is_floating_point:
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.flatten().tolist()]}
    data = []
    for v in t.double().flatten().tolist():
        if math.isnan(v):
            data.append('nan')
        elif math.isinf(v):
            data.append('inf' if v > 0 else '-inf')
        else:
            data.append(v)
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': data}


class A:
    """A tensor argument of the forward call; `grad` says whether its gradient is stored."""

    def __init__(self, t, grad=None):
        self.t = t.detach().clone()
        if grad is None:
            grad = self.t.dtype.is_floating_point
        self.grad = grad
        if grad:
            self.t.requires_grad_(True)


def arg_spec(a):
    if isinstance(a, A):
        d = td(a.t)
        d['requiresGrad'] = bool(a.grad)
        return {'tensor': d}
    if isinstance(a, tuple):
        return {'tuple': [arg_spec(x) for x in a]}
    if isinstance(a, dict):
        return {'options': {k: arg_spec(v) for k, v in a.items()}}
    return {'value': a}


def arg_grads(a):
    if isinstance(a, A):
        if not a.grad:
            return None
        g = a.t.grad
        return td(g if g is not None else torch.zeros_like(a.t))
    if isinstance(a, tuple):
        return [arg_grads(x) for x in a]
    if isinstance(a, dict):
        return {k: arg_grads(v) for k, v in a.items()}
    return None


def flatten_out(o):
    if o is None:
        return []
    if isinstance(o, torch.Tensor):
        return [o]
    out = []
    for x in o:
        out.extend(flatten_out(x))
    return out


def out_spec(o):
    if o is None:
        return None
    if isinstance(o, torch.Tensor):
        return td(o)
    return [out_spec(x) for x in o]


def make_upstream(o, gen):
    """Random normal upstream with the structure of `o` (None where an output is not differentiable)."""
    if o is None:
        return None
    if isinstance(o, torch.Tensor):
        if not o.requires_grad:
            return None
        return torch.randn(o.shape, generator=gen)
    return [make_upstream(x, gen) for x in o]


def randomise(module, gen):
    """Random parameters and running statistics, so nothing is left at a special value (ones, zeros)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
        for name, b in module.named_buffers():
            if name.endswith('running_var'):
                b.copy_(torch.rand(b.shape, generator=gen) + 0.5)
            elif name.endswith('running_mean'):
                b.copy_(torch.randn(b.shape, generator=gen) * 0.3)
            elif name.endswith('num_batches_tracked'):
                b.fill_(3)


def case(name, module, ts_module, args, call, train=False, randomise_state=True, seed_gen=None, tol=None):
    gen = seed_gen
    module = module.double()
    if randomise_state:
        randomise(module, gen)
    module.train(train)
    state = {k: td(v) for k, v in module.state_dict().items()}
    out = call(module, args)
    up = make_upstream(out, gen)
    outs = flatten_out(out)
    ups = flatten_out(up) if up is not None else []
    diff_outs = [o for o in outs if o.requires_grad]
    if diff_outs:
        torch.autograd.backward(diff_outs, ups)
    param_grads = {}
    for k, p in module.named_parameters():
        param_grads[k] = td(p.grad if p.grad is not None else torch.zeros_like(p))
    c = {
        'name': name,
        'module': ts_module,
        'train': train,
        'stateDict': state,
        'args': [arg_spec(a) for a in args],
        'out': out_spec(out),
        'upstream': out_spec(up),
        'grads': {'args': [arg_grads(a) for a in args], 'params': param_grads},
        'tol': tol or TOL,
        'gradTol': tol or TOL,
    }
    bufs = dict(module.named_buffers())
    if bufs:
        c['after'] = {k: td(v) for k, v in bufs.items()}
    return c


def mod(class_name, **config):
    config.setdefault('dtype', 'float64')
    return {'className': class_name, 'config': config}


def lossmod(class_name, **config):
    return {'className': class_name, 'config': config}


# ----------------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------------

def tensor_args(*ts):
    return [A(t) for t in ts]


def gen_for(name):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode()))
    return g


def linear_cases(g):
    x = torch.randn(2, 3, 4, generator=g)
    return [
        case('bias_3d_input', nn.Linear(4, 5), mod('Linear', inFeatures=4, outFeatures=5, bias=True),
             [A(x)], lambda m, a: m(a[0].t), seed_gen=g),
        case('no_bias_2d', nn.Linear(4, 3, bias=False), mod('Linear', inFeatures=4, outFeatures=3, bias=False),
             [A(torch.randn(5, 4, generator=g))], lambda m, a: m(a[0].t), seed_gen=g),
    ]


def conv_cases(g):
    return [
        case('stride2_pad1', nn.Conv2d(2, 4, 3, stride=2, padding=1),
             mod('Conv2d', inChannels=2, outChannels=4, kernelSize=3, stride=2, padding=1, dilation=1, groups=1,
                 bias=True),
             [A(torch.randn(2, 2, 7, 6, generator=g))], lambda m, a: m(a[0].t), seed_gen=g),
        case('groups2_dilation2_rect', nn.Conv2d(4, 6, (3, 2), padding=(2, 1), dilation=2, groups=2, bias=False),
             mod('Conv2d', inChannels=4, outChannels=6, kernelSize=[3, 2], stride=1, padding=[2, 1], dilation=2,
                 groups=2, bias=False),
             [A(torch.randn(1, 4, 6, 5, generator=g))], lambda m, a: m(a[0].t), seed_gen=g),
    ]


def pool_cases(g):
    x = torch.randn(2, 3, 7, 6, generator=g)
    return [
        case('maxpool_k3_s2_p1', nn.MaxPool2d(3, stride=2, padding=1),
             {'className': 'MaxPool2d', 'config': {'kernelSize': 3, 'stride': 2, 'padding': 1}},
             [A(x)], lambda m, a: m(a[0].t), seed_gen=g),
        case('avgpool_ceil_no_pad_count', nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
             {'className': 'AvgPool2d',
              'config': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False}},
             [A(x)], lambda m, a: m(a[0].t), seed_gen=g),
        case('adaptive_avg_3x2', nn.AdaptiveAvgPool2d((3, 2)),
             {'className': 'AdaptiveAvgPool2d', 'config': {'outputSize': [3, 2]}},
             [A(torch.randn(2, 3, 7, 5, generator=g))], lambda m, a: m(a[0].t), seed_gen=g),
        case('flatten_default', nn.Flatten(), {'className': 'Flatten', 'config': {}},
             [A(torch.randn(2, 3, 2, 2, generator=g))], lambda m, a: m(a[0].t), seed_gen=g),
    ]


def batchnorm_cases(g):
    return [
        case('bn1d_train_2d', nn.BatchNorm1d(4), mod('BatchNorm1d', numFeatures=4),
             [A(torch.randn(6, 4, generator=g) * 2 + 1)], lambda m, a: m(a[0].t), train=True, seed_gen=g),
        case('bn1d_train_3d_momentum_0.3', nn.BatchNorm1d(3, momentum=0.3, eps=1e-3),
             mod('BatchNorm1d', numFeatures=3, momentum=0.3, eps=1e-3),
             [A(torch.randn(4, 3, 5, generator=g))], lambda m, a: m(a[0].t), train=True, seed_gen=g),
        case('bn1d_train_cumulative_momentum_none', nn.BatchNorm1d(3, momentum=None),
             mod('BatchNorm1d', numFeatures=3, momentum=None),
             [A(torch.randn(5, 3, generator=g))], lambda m, a: m(a[0].t), train=True, seed_gen=g),
        case('bn2d_train', nn.BatchNorm2d(2), mod('BatchNorm2d', numFeatures=2),
             [A(torch.randn(3, 2, 4, 5, generator=g) * 1.5 - 0.5)], lambda m, a: m(a[0].t), train=True, seed_gen=g),
        case('bn2d_eval_running_stats', nn.BatchNorm2d(3), mod('BatchNorm2d', numFeatures=3),
             [A(torch.randn(2, 3, 3, 3, generator=g))], lambda m, a: m(a[0].t), train=False, seed_gen=g),
    ]


def layernorm_cases(g):
    return [
        case('last_two_dims', nn.LayerNorm([3, 4]), mod('LayerNorm', normalizedShape=[3, 4]),
             [A(torch.randn(2, 3, 4, generator=g) * 3 + 2)], lambda m, a: m(a[0].t), seed_gen=g),
        case('last_dim_eps', nn.LayerNorm(5, eps=1e-3), mod('LayerNorm', normalizedShape=[5], eps=1e-3),
             [A(torch.randn(4, 5, generator=g))], lambda m, a: m(a[0].t), seed_gen=g),
    ]


def embedding_cases(g):
    idx = torch.tensor([[0, 2, 4, 2, 1], [3, 3, 0, 4, 2]])
    return [
        case('padding_idx_2', nn.Embedding(5, 3, padding_idx=2), mod('Embedding', numEmbeddings=5, embeddingDim=3,
                                                                    paddingIdx=2),
             [A(idx)], lambda m, a: m(a[0].t), seed_gen=g),
    ]


def rnn_cases(g):
    c = []
    x = torch.randn(4, 2, 3, generator=g)  # [T, N, I]
    c.append(case('rnn_tanh_2layer_h0', nn.RNN(3, 5, num_layers=2),
                  mod('RNN', inputSize=3, hiddenSize=5, numLayers=2, nonlinearity='tanh'),
                  [A(x), A(torch.randn(2, 2, 5, generator=g))], lambda m, a: m(a[0].t, a[1].t), seed_gen=g))
    c.append(case('rnn_relu_batch_first_no_h0', nn.RNN(3, 4, nonlinearity='relu', batch_first=True),
                  mod('RNN', inputSize=3, hiddenSize=4, nonlinearity='relu', batchFirst=True),
                  [A(torch.randn(2, 5, 3, generator=g))], lambda m, a: m(a[0].t), seed_gen=g))
    return c


def lstm_cases(g):
    c = []
    c.append(case('lstm_2layer_h0_c0', nn.LSTM(3, 4, num_layers=2),
                  mod('LSTM', inputSize=3, hiddenSize=4, numLayers=2),
                  [A(torch.randn(5, 2, 3, generator=g)),
                   (A(torch.randn(2, 2, 4, generator=g)), A(torch.randn(2, 2, 4, generator=g)))],
                  lambda m, a: m(a[0].t, (a[1][0].t, a[1][1].t)), seed_gen=g))
    c.append(case('lstm_batch_first_bidirectional', nn.LSTM(3, 2, batch_first=True, bidirectional=True, num_layers=2),
                  mod('LSTM', inputSize=3, hiddenSize=2, batchFirst=True, bidirectional=True, numLayers=2),
                  [A(torch.randn(2, 4, 3, generator=g))], lambda m, a: m(a[0].t), seed_gen=g))
    c.append(case('lstm_unbatched_no_bias', nn.LSTM(2, 3, bias=False), mod('LSTM', inputSize=2, hiddenSize=3,
                                                                           bias=False),
                  [A(torch.randn(4, 2, generator=g))], lambda m, a: m(a[0].t), seed_gen=g))
    return c


def gru_cases(g):
    c = []
    c.append(case('gru_2layer_h0', nn.GRU(3, 4, num_layers=2), mod('GRU', inputSize=3, hiddenSize=4, numLayers=2),
                  [A(torch.randn(5, 2, 3, generator=g)), A(torch.randn(2, 2, 4, generator=g))],
                  lambda m, a: m(a[0].t, a[1].t), seed_gen=g))
    c.append(case('gru_batch_first_h0', nn.GRU(2, 3, batch_first=True),
                  mod('GRU', inputSize=2, hiddenSize=3, batchFirst=True),
                  [A(torch.randn(3, 4, 2, generator=g)), A(torch.randn(1, 3, 3, generator=g))],
                  lambda m, a: m(a[0].t, a[1].t), seed_gen=g))
    return c


def causal(n):
    return torch.triu(torch.full((n, n), float('-inf')), diagonal=1)


def mha_cases(g):
    c = []
    E, H, L, S, N = 6, 2, 4, 5, 2
    q = torch.randn(L, N, E, generator=g)
    k = torch.randn(S, N, E, generator=g)
    v = torch.randn(S, N, E, generator=g)
    kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, True]])
    am = torch.zeros(L, S, dtype=torch.bool)
    am[0, 1] = True
    am[2, 0] = True
    am[3, 2] = True
    c.append(case('cross_key_padding_and_bool_attn_mask', nn.MultiheadAttention(E, H),
                  mod('MultiheadAttention', embedDim=E, numHeads=H),
                  [A(q), A(k), A(v), {'keyPaddingMask': A(kpm), 'attnMask': A(am)}],
                  lambda m, a: m(a[0].t, a[1].t, a[2].t, key_padding_mask=a[3]['keyPaddingMask'].t,
                                 attn_mask=a[3]['attnMask'].t), seed_gen=g))
    fm = torch.randn(N * H, L, S, generator=g)
    c.append(case('float_3d_attn_mask_and_padding_per_head_weights', nn.MultiheadAttention(E, H),
                  mod('MultiheadAttention', embedDim=E, numHeads=H),
                  [A(q), A(k), A(v), {'keyPaddingMask': A(kpm), 'attnMask': A(fm, grad=False),
                                      'averageAttnWeights': False}],
                  lambda m, a: m(a[0].t, a[1].t, a[2].t, key_padding_mask=a[3]['keyPaddingMask'].t,
                                 attn_mask=a[3]['attnMask'].t, average_attn_weights=False), seed_gen=g))
    x = torch.randn(N, L, E, generator=g)
    c.append(case('self_batch_first_causal', nn.MultiheadAttention(E, 3, batch_first=True),
                  mod('MultiheadAttention', embedDim=E, numHeads=3, batchFirst=True),
                  [A(x), A(x), A(x), {'isCausal': True}],
                  lambda m, a: m(a[0].t, a[1].t, a[2].t, attn_mask=causal(L)), seed_gen=g))
    c.append(case('no_weights_no_bias', nn.MultiheadAttention(E, H, bias=False),
                  mod('MultiheadAttention', embedDim=E, numHeads=H, bias=False),
                  [A(q), A(k), A(v), {'needWeights': False}],
                  lambda m, a: m(a[0].t, a[1].t, a[2].t, need_weights=False), seed_gen=g))
    return c


def encoder_cases(g):
    c = []
    E, H, L, N = 8, 2, 5, 2
    x = torch.randn(L, N, E, generator=g)
    kpm = torch.tensor([[False, False, False, False, True], [False, False, True, True, True]])
    sm = torch.zeros(L, L, dtype=torch.bool)
    sm[1, 0] = True
    sm[4, 3] = True
    c.append(case('post_norm_relu_masks', nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0),
                  mod('TransformerEncoderLayer', dModel=E, nhead=H, dimFeedforward=16, dropout=0.0),
                  [A(x), {'srcMask': A(sm), 'srcKeyPaddingMask': A(kpm)}],
                  lambda m, a: m(a[0].t, src_mask=a[1]['srcMask'].t, src_key_padding_mask=a[1]['srcKeyPaddingMask'].t),
                  train=True, seed_gen=g))
    xb = torch.randn(N, L, E, generator=g)
    c.append(case('pre_norm_gelu_batch_first_padding',
                  nn.TransformerEncoderLayer(E, H, dim_feedforward=12, dropout=0.0, activation='gelu',
                                             batch_first=True, norm_first=True),
                  mod('TransformerEncoderLayer', dModel=E, nhead=H, dimFeedforward=12, dropout=0.0, activation='gelu',
                      batchFirst=True, normFirst=True),
                  [A(xb), {'srcKeyPaddingMask': A(kpm)}],
                  lambda m, a: m(a[0].t, src_key_padding_mask=a[1]['srcKeyPaddingMask'].t),
                  train=True, seed_gen=g))
    c.append(case('pre_norm_causal_eval', nn.TransformerEncoderLayer(E, 4, dim_feedforward=10, dropout=0.0,
                                                                     norm_first=True),
                  mod('TransformerEncoderLayer', dModel=E, nhead=4, dimFeedforward=10, dropout=0.0, normFirst=True),
                  [A(x), {'isCausal': True}],
                  lambda m, a: m(a[0].t, src_mask=causal(L)), train=False, seed_gen=g))
    return c


def activation_cases(g):
    x = torch.randn(3, 4, generator=g) * 2
    acts = [
        ('ReLU', nn.ReLU(), {}), ('LeakyReLU', nn.LeakyReLU(0.2), {'negativeSlope': 0.2}),
        ('ELU', nn.ELU(0.7), {'alpha': 0.7}), ('GELU', nn.GELU(), {'approximate': 'none'}),
        ('GELU', nn.GELU(approximate='tanh'), {'approximate': 'tanh'}), ('Sigmoid', nn.Sigmoid(), {}),
        ('Tanh', nn.Tanh(), {}), ('Softmax', nn.Softmax(dim=1), {'dim': 1}),
        ('LogSoftmax', nn.LogSoftmax(dim=0), {'dim': 0}), ('SiLU', nn.SiLU(), {}),
        ('Softplus', nn.Softplus(beta=2, threshold=3), {'beta': 2, 'threshold': 3}),
    ]
    out = []
    for name, m, cfg in acts:
        label = name + ('_' + '_'.join(f'{k}_{v}' for k, v in cfg.items()) if cfg else '')
        out.append(case(label, m, {'className': name, 'config': cfg}, [A(x)], lambda m, a: m(a[0].t), seed_gen=g))
    return out


def loss_cases(g):
    c = []
    x = torch.randn(4, 3, generator=g)
    y = torch.randn(4, 3, generator=g)
    for name, m, cfg in [
        ('MSELoss', nn.MSELoss(), {'reduction': 'mean'}),
        ('L1Loss', nn.L1Loss(reduction='sum'), {'reduction': 'sum'}),
        ('SmoothL1Loss', nn.SmoothL1Loss(beta=0.5), {'reduction': 'mean', 'beta': 0.5}),
        ('HuberLoss', nn.HuberLoss(delta=0.7, reduction='none'), {'reduction': 'none', 'delta': 0.7}),
    ]:
        c.append(case(name + '_' + cfg['reduction'], m, lossmod(name, **cfg), [A(x), A(y)],
                      lambda m, a: m(a[0].t, a[1].t), seed_gen=g))
    logits = torch.randn(6, 4, generator=g) * 2
    tgt = torch.tensor([0, 3, 1, -1, 2, 3])
    w = torch.tensor([0.5, 1.0, 2.0, 1.5])
    c.append(case('CrossEntropyLoss_weight_smoothing_ignore', nn.CrossEntropyLoss(weight=w, ignore_index=-1,
                                                                                  label_smoothing=0.1),
                  lossmod('CrossEntropyLoss', reduction='mean', ignoreIndex=-1, labelSmoothing=0.1,
                          weight=w.tolist()),
                  [A(logits), A(tgt)], lambda m, a: m(a[0].t, a[1].t), randomise_state=False, seed_gen=g))
    probs = torch.softmax(torch.randn(6, 4, generator=g), 1)
    c.append(case('CrossEntropyLoss_prob_targets_sum', nn.CrossEntropyLoss(reduction='sum'),
                  lossmod('CrossEntropyLoss', reduction='sum'),
                  [A(logits), A(probs, grad=False)], lambda m, a: m(a[0].t, a[1].t), randomise_state=False, seed_gen=g))
    logp = torch.log_softmax(torch.randn(5, 3, 2, generator=g), 1)
    t2 = torch.tensor([[0, 2], [1, 1], [2, 0], [0, 0], [1, 2]])
    w3 = torch.tensor([1.0, 0.3, 2.0])
    c.append(case('NLLLoss_weight_2d_target', nn.NLLLoss(weight=w3), lossmod('NLLLoss', reduction='mean',
                                                                            weight=w3.tolist()),
                  [A(logp), A(t2)], lambda m, a: m(a[0].t, a[1].t), randomise_state=False, seed_gen=g))
    p = torch.rand(4, 3, generator=g) * 0.98 + 0.01
    bt = (torch.rand(4, 3, generator=g) > 0.5).double()
    bw = torch.rand(3, generator=g) + 0.5
    c.append(case('BCELoss_weight', nn.BCELoss(weight=bw), lossmod('BCELoss', reduction='mean', weight=bw.tolist()),
                  [A(p), A(bt, grad=False)], lambda m, a: m(a[0].t, a[1].t), randomise_state=False, seed_gen=g))
    pw = torch.tensor([0.5, 2.0, 3.0])
    c.append(case('BCEWithLogitsLoss_pos_weight_sum', nn.BCEWithLogitsLoss(pos_weight=pw, reduction='sum'),
                  lossmod('BCEWithLogitsLoss', reduction='sum', posWeight=pw.tolist()),
                  [A(x * 3), A(bt, grad=False)], lambda m, a: m(a[0].t, a[1].t), randomise_state=False, seed_gen=g))
    return c


FILES = {
    'Linear': linear_cases,
    'Conv2d': conv_cases,
    'pooling': pool_cases,
    'BatchNorm': batchnorm_cases,
    'LayerNorm': layernorm_cases,
    'Embedding': embedding_cases,
    'RNN': rnn_cases,
    'LSTM': lstm_cases,
    'GRU': gru_cases,
    'MultiheadAttention': mha_cases,
    'TransformerEncoderLayer': encoder_cases,
    'activations': activation_cases,
    'losses': loss_cases,
}


# ----------------------------------------------------------------------------------------------------
# safetensors, by hand (the format: u64 LE header length, JSON header, raw LE data)
# ----------------------------------------------------------------------------------------------------

ST_DTYPES = {torch.float32: 'F32', torch.float64: 'F64', torch.int32: 'I32', torch.int64: 'I64', torch.bool: 'BOOL'}
ST_TORCH = {v: k for k, v in ST_DTYPES.items()}


def st_write(path, tensors, metadata=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs = []
    off = 0
    for k in sorted(tensors):
        t = tensors[k].detach().contiguous()
        b = t.numpy().tobytes() if t.dtype != torch.bool else bytes(t.to(torch.uint8).numpy().tobytes())
        header[k] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_read(path):
    import numpy as np
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    assert (8 + n) % 8 == 0, f'data of {path} does not start 8-byte aligned'
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    data = raw[8 + n:]
    spans = sorted((v['data_offsets'][0], v['data_offsets'][1]) for v in header.values())
    pos = 0
    for b, e in spans:
        assert b == pos, f'hole or overlap at {b} in {path}'
        pos = e
    assert pos == len(data), f'{path}: tensors cover {pos} of {len(data)} data bytes'
    npt = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64, 'BOOL': np.bool_}
    out = {}
    for k, v in header.items():
        b, e = v['data_offsets']
        arr = np.frombuffer(data[b:e], dtype=np.dtype(npt[v['dtype']]).newbyteorder('<')).copy()
        out[k] = torch.from_numpy(arr.reshape(v['shape']))
    return out, meta


def check_architecture():
    """The model both sides build: Sequential(Linear(3,4), BatchNorm1d(4), ReLU, Linear(4,2))."""
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).float()


TS_WRITER = r"""
import { writeFileSync } from 'node:fs';
import * as ts from '%(root)s/src/index.ts';
import * as nn from '%(root)s/src/nn/index.ts';
import { saveSafetensors } from '%(root)s/src/io/index.ts';
ts.setBackend('ref'); // the reference backend is the specification; this check is about the file format
const g = new ts.Generator(7);
const model = new nn.Sequential(new nn.Linear(3, 4, { generator: g }), new nn.BatchNorm1d(4), new nn.ReLU(),
  new nn.Linear(4, 2, { generator: g }));
// one training forward so the running statistics are not at their initial values
model.call(ts.randn([5, 3], { generator: g }));
const sd = model.stateDict();
saveSafetensors(process.argv[2], sd, { format: 'pt', writer: 'tensorscript' });
const dump = {};
for (const [k, v] of Object.entries(sd)) dump[k] = { dtype: v.dtype, shape: v.shape, data: Array.from(v.toTypedArray()) };
writeFileSync(process.argv[3], JSON.stringify(dump));
"""


def check_ts_file_loads_in_torch():
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, 'write.mjs')
        with open(script, 'w') as f:
            f.write(TS_WRITER % {'root': ROOT})
        st_path = os.path.join(d, 'ts.safetensors')
        js_path = os.path.join(d, 'ts.json')
        subprocess.run(['node', '--import', 'tsx', script, st_path, js_path], check=True, cwd=ROOT)
        tensors, meta = st_read(st_path)
        assert meta == {'format': 'pt', 'writer': 'tensorscript'}, meta
        if st_torch is not None:
            ref = st_torch.load_file(st_path)
            assert set(ref) == set(tensors)
            for k in ref:
                assert torch.equal(ref[k], tensors[k]), k
        with open(js_path) as f:
            dump = json.load(f)
        model = check_architecture()
        res = model.load_state_dict(tensors, strict=True)
        assert not res.missing_keys and not res.unexpected_keys
        assert list(model.state_dict().keys()) == list(dump.keys()), (list(model.state_dict()), list(dump))
        for k, v in model.state_dict().items():
            want = torch.tensor(dump[k]['data'], dtype=v.dtype).reshape(dump[k]['shape'])
            assert torch.equal(v, want), f'{k}: values differ after loading into torch'
        # and the loaded torch model runs
        model.eval()(torch.randn(2, 3, dtype=torch.float32))
        print(f'ok: a safetensors file written by TensorScript loads into torch (strict, {len(dump)} keys, '
              f'values identical{", checked with the safetensors package too" if st_torch else ""})')


def write_torch_state():
    g = gen_for('torch_state')
    torch.manual_seed(zlib.crc32(b'torch_state'))
    model = check_architecture()
    model.train()
    model(torch.randn(6, 3, generator=g, dtype=torch.float32))
    sd = model.state_dict()
    path = os.path.join(OUT_DIR, 'torch_state.safetensors')
    if st_torch is not None:
        st_torch.save_file(sd, path, metadata={'format': 'pt'})
    else:
        st_write(path, sd, {'format': 'pt'})
    back, _ = st_read(path)
    for k, v in sd.items():
        assert torch.equal(back[k], v), k
    x = torch.randn(3, 3, generator=g, dtype=torch.float32)
    model.eval()
    with open(os.path.join(OUT_DIR, 'torch_state.json'), 'w') as f:
        json.dump({
            'architecture': 'Sequential(Linear(3,4), BatchNorm1d(4), ReLU(), Linear(4,2)), float32',
            'writer': 'safetensors' if st_torch is not None else 'scripts/gen_golden_nn.py st_write',
            'stateDict': {k: {'shape': list(v.shape), 'dtype': ST_DTYPES[v.dtype],
                              'data': [float(a) if v.dtype.is_floating_point else int(a) for a in v.flatten().tolist()]}
                          for k, v in sd.items()},
            'evalInput': td(x.double()),
            'evalOutput': td(model(x).detach().double()),
        }, f, indent=1)
        f.write('\n')
    print(f'ok: wrote torch_state.safetensors ({len(sd)} keys) and torch_state.json')


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    only = set(sys.argv[1:])
    total = 0
    for name, fn in FILES.items():
        if only and name not in only:
            continue
        torch.manual_seed(zlib.crc32(name.encode()))
        cases = fn(gen_for(name))
        with open(os.path.join(OUT_DIR, f'{name}.json'), 'w') as f:
            json.dump({'file': name, 'cases': cases}, f, separators=(',', ':'))
            f.write('\n')
        total += len(cases)
        print(f'{name}: {len(cases)} cases')
    if not only or 'safetensors' in only:
        write_torch_state()
        check_ts_file_loads_in_torch()
    size = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f'{total} cases, fixtures {size / 1e6:.2f} MB')
    assert size < 4e6, 'fixtures must stay under 4 MB'


if __name__ == '__main__':
    main()
