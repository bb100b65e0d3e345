/**
 * Layer -> ONNX rules, one per layer class (opset 17). A rule receives the ONNX name of its input and a
 * sample tensor of the same value (so shape-dependent choices, such as a Flatten's trailing size, are
 * read from a real forward pass) and returns the name of its output. Containers export their children
 * through `ctx.emit`.
 */
import { fail } from '../core/errors.ts';
import { SimpleCnn } from '../models/simple-cnn.ts';
import { Sequential } from '../nn/containers.ts';
import {
  ELU,
  GELU,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Tanh,
} from '../nn/layers/activations.ts';
import { AdaptiveAvgPool2d, AvgPool2d, Conv2d, Flatten, MaxPool2d } from '../nn/layers/conv.ts';
import { Dropout } from '../nn/layers/dropout.ts';
import { Embedding } from '../nn/layers/embedding.ts';
import { Linear } from '../nn/layers/linear.ts';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../nn/layers/normalization.ts';
import { GRU, LSTM } from '../nn/layers/recurrent.ts';
import type { AnyModule } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { GraphBuilder } from './graph-builder.ts';

export interface ExportContext {
  readonly g: GraphBuilder;
  readonly opset: number;
  /** Exports a child module (state-dict prefix `key` under the current one); returns its output name. */
  emit(child: AnyModule, key: string, input: string, sample: Tensor): { name: string; sample: Tensor };
  /** Adds a tensor of the current module as a float32 initializer named by its state-dict key. */
  param(key: string, t: Tensor): string;
}

export interface ExportRule<M extends AnyModule = AnyModule> {
  /** True when the rule exports the module through its children (which must have rules themselves). */
  container?: boolean;
  emit(ctx: ExportContext, m: M, input: string, sample: Tensor): string;
}

type Ctor<M> = abstract new (...args: never[]) => M;
const rules = new Map<unknown, ExportRule>();

/** Registers how a layer class is written to ONNX (subclasses inherit it unless they register their own). */
export function registerExportRule<M extends AnyModule>(cls: Ctor<M>, rule: ExportRule<M>): void {
  rules.set(cls, rule as unknown as ExportRule);
}

/** The rule for a module's class or its nearest registered ancestor class. */
export function exportRuleFor(m: AnyModule): ExportRule | undefined {
  for (let p: object | null = Object.getPrototypeOf(m); p !== null; p = Object.getPrototypeOf(p)) {
    const r = rules.get((p as { constructor: unknown }).constructor);
    if (r !== undefined) return r;
  }
  return undefined;
}

const unary =
  (opType: string, attrs: (m: never) => Record<string, number | { float: number }> = () => ({})) =>
  (ctx: ExportContext, m: AnyModule, x: string): string =>
    ctx.g.addNode(opType, [x], attrs(m as never))[0]!;

const scalar = (ctx: ExportContext, base: string, v: number): string =>
  ctx.g.addFloatConst(base, [], Float32Array.of(v));

const pair = (v: number | readonly [number, number]): [number, number] =>
  typeof v === 'number' ? [v, v] : [v[0], v[1]];

registerExportRule(Sequential, {
  container: true,
  emit(ctx, m, x, sample) {
    let name = x;
    let s = sample;
    for (const [key, child] of m.namedChildren()) ({ name, sample: s } = ctx.emit(child, key, name, s));
    return name;
  },
});

registerExportRule(SimpleCnn, {
  container: true,
  emit(ctx, m, x, sample) {
    const f = ctx.emit(m.features, 'features', x, sample);
    return ctx.emit(m.classifier, 'classifier', f.name, f.sample).name;
  },
});

registerExportRule(Linear, {
  emit(ctx, m, x, sample) {
    const w = ctx.param('weight', m.weight);
    const b = m.bias === null ? null : ctx.param('bias', m.bias);
    // Gemm needs 2-D input; other ranks use MatMul against the transposed weight (folded by runtimes).
    if (sample.ndim === 2) return ctx.g.addNode('Gemm', b === null ? [x, w] : [x, w, b], { transB: 1 })[0]!;
    const wt = ctx.g.addNode('Transpose', [w], { perm: [1, 0] })[0]!;
    const y = ctx.g.addNode('MatMul', [x, wt])[0]!;
    return b === null ? y : ctx.g.addNode('Add', [y, b])[0]!;
  },
});

registerExportRule(ReLU, { emit: unary('Relu') });
registerExportRule(Sigmoid, { emit: unary('Sigmoid') });
registerExportRule(Tanh, { emit: unary('Tanh') });
registerExportRule(LeakyReLU, {
  emit: unary('LeakyRelu', (m: LeakyReLU) => ({ alpha: { float: m.negativeSlope } })),
});
registerExportRule(ELU, { emit: unary('Elu', (m: ELU) => ({ alpha: { float: m.alpha } })) });
registerExportRule(Softmax, { emit: unary('Softmax', (m: Softmax) => ({ axis: m.dim })) });
registerExportRule(LogSoftmax, { emit: unary('LogSoftmax', (m: LogSoftmax) => ({ axis: m.dim })) });
registerExportRule(Dropout, {
  // Exported for inference: dropout is the identity in eval mode.
  emit: (ctx, _m, x) => ctx.g.addNode('Identity', [x])[0]!,
});
registerExportRule(SiLU, {
  emit(ctx, _m, x) {
    const s = ctx.g.addNode('Sigmoid', [x])[0]!;
    return ctx.g.addNode('Mul', [x, s])[0]!;
  },
});
registerExportRule(Softplus, {
  // ONNX Softplus is log(1 + e^x) without beta or threshold; past the threshold (20 by default) the two
  // agree to float32 precision, so only beta needs composing.
  emit(ctx, m, x) {
    if (m.beta === 1) return ctx.g.addNode('Softplus', [x])[0]!;
    const beta = scalar(ctx, 'softplus_beta', m.beta);
    const bx = ctx.g.addNode('Mul', [x, beta])[0]!;
    const sp = ctx.g.addNode('Softplus', [bx])[0]!;
    return ctx.g.addNode('Div', [sp, beta])[0]!;
  },
});
registerExportRule(GELU, {
  // Gelu is an ONNX op only from opset 20: compose it at 17.
  emit(ctx, m, x) {
    const g = ctx.g;
    const half = scalar(ctx, 'gelu_half', 0.5);
    const one = scalar(ctx, 'gelu_one', 1);
    let inner: string;
    if (m.approximate === 'tanh') {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const x3 = g.addNode('Mul', [g.addNode('Mul', [x, x])[0]!, x])[0]!;
      const t = g.addNode('Add', [x, g.addNode('Mul', [x3, scalar(ctx, 'gelu_c', 0.044715)])[0]!])[0]!;
      inner = g.addNode('Tanh', [
        g.addNode('Mul', [t, scalar(ctx, 'gelu_k', Math.sqrt(2 / Math.PI))])[0]!,
      ])[0]!;
    } else {
      inner = g.addNode('Erf', [g.addNode('Div', [x, scalar(ctx, 'gelu_sqrt2', Math.SQRT2)])[0]!])[0]!;
    }
    const p = g.addNode('Add', [inner, one])[0]!;
    return g.addNode('Mul', [g.addNode('Mul', [x, half])[0]!, p])[0]!;
  },
});

registerExportRule(Conv2d, {
  emit(ctx, m, x, sample) {
    const w = ctx.param('weight', m.weight);
    const inputs = m.bias === null ? [x, w] : [x, w, ctx.param('bias', m.bias)];
    const [kh, kw] = m.kernelSize;
    const [dh, dw] = pair(m.dilation);
    let pads: number[];
    if (m.padding === 'valid') pads = [0, 0, 0, 0];
    else if (m.padding === 'same') {
      // As torch: total padding d(k-1), the odd pixel on the bottom/right.
      const th = dh * (kh - 1);
      const tw = dw * (kw - 1);
      pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
    } else {
      const [ph, pw] = pair(m.padding);
      pads = [ph, pw, ph, pw];
    }
    void sample;
    return ctx.g.addNode('Conv', inputs, {
      kernel_shape: [kh, kw],
      strides: pair(m.stride),
      dilations: [dh, dw],
      pads,
      group: m.groups,
    })[0]!;
  },
});

registerExportRule(MaxPool2d, {
  emit(ctx, m, x) {
    const k = pair(m.kernelSize);
    const [ph, pw] = pair(m.opts.padding ?? 0);
    return ctx.g.addNode('MaxPool', [x], {
      kernel_shape: k,
      strides: pair(m.opts.stride ?? m.kernelSize),
      pads: [ph, pw, ph, pw],
      dilations: pair(m.opts.dilation ?? 1),
      ceil_mode: m.opts.ceilMode ? 1 : 0,
    })[0]!;
  },
});

registerExportRule(AvgPool2d, {
  emit(ctx, m, x) {
    const [ph, pw] = pair(m.opts.padding ?? 0);
    return ctx.g.addNode('AveragePool', [x], {
      kernel_shape: pair(m.kernelSize),
      strides: pair(m.opts.stride ?? m.kernelSize),
      pads: [ph, pw, ph, pw],
      ceil_mode: m.opts.ceilMode ? 1 : 0,
      count_include_pad: (m.opts.countIncludePad ?? true) ? 1 : 0,
    })[0]!;
  },
});

registerExportRule(AdaptiveAvgPool2d, {
  emit(ctx, m, x, sample) {
    const [oh, ow] = pair(m.outputSize);
    const [h, w] = [sample.shape[2]!, sample.shape[3]!];
    if (oh === 1 && ow === 1) return ctx.g.addNode('GlobalAveragePool', [x])[0]!;
    // Equal windows only when the input divides evenly; other sizes have no single ONNX pooling op.
    if (h % oh !== 0 || w % ow !== 0)
      fail(
        'onnx.export',
        `AdaptiveAvgPool2d(${oh}, ${ow}) on ${h}x${w} input: only output 1x1 or a divisor of the input size exports`,
      );
    return ctx.g.addNode('AveragePool', [x], {
      kernel_shape: [h / oh, w / ow],
      strides: [h / oh, w / ow],
    })[0]!;
  },
});

registerExportRule(Flatten, {
  emit(ctx, m, x, sample) {
    const n = sample.ndim;
    const start = m.startDim < 0 ? m.startDim + n : m.startDim;
    const end = m.endDim < 0 ? m.endDim + n : m.endDim;
    if (end === n - 1) return ctx.g.addNode('Flatten', [x], { axis: start })[0]!;
    // Reshape with 0 = "copy this input dim" keeps leading (dynamic) dims; trailing ones are fixed.
    const shape = [...Array(start).fill(0), -1, ...sample.shape.slice(end + 1)];
    return ctx.g.addNode('Reshape', [x, ctx.g.addInt64('flatten_shape', shape)])[0]!;
  },
});

registerExportRule(Embedding, {
  emit: (ctx, m, x) => ctx.g.addNode('Gather', [ctx.param('weight', m.weight), x], { axis: 0 })[0]!,
});

function batchNormRule(ctx: ExportContext, m: BatchNorm1d | BatchNorm2d, x: string): string {
  if (m.runningMean === null || m.runningVar === null)
    fail('onnx.export', `${m.constructor.name} without running statistics has no inference form to export`);
  const n = m.numFeatures;
  const scale =
    m.weight === null
      ? ctx.g.addFloatConst('bn_scale', [n], new Float32Array(n).fill(1))
      : ctx.param('weight', m.weight);
  const bias =
    m.bias === null ? ctx.g.addFloatConst('bn_bias', [n], new Float32Array(n)) : ctx.param('bias', m.bias);
  const mean = ctx.param('running_mean', m.runningMean);
  const variance = ctx.param('running_var', m.runningVar);
  return ctx.g.addNode('BatchNormalization', [x, scale, bias, mean, variance], {
    epsilon: { float: m.eps },
  })[0]!;
}
registerExportRule(BatchNorm1d, { emit: batchNormRule });
registerExportRule(BatchNorm2d, { emit: batchNormRule });

registerExportRule(LayerNorm, {
  emit(ctx, m, x) {
    const shape = m.normalizedShape;
    const size = shape.reduce((a, b) => a * b, 1);
    const scale =
      m.weight === null
        ? ctx.g.addFloatConst('ln_scale', shape, new Float32Array(size).fill(1))
        : ctx.param('weight', m.weight);
    const inputs = [x, scale];
    if (m.bias !== null) inputs.push(ctx.param('bias', m.bias));
    return ctx.g.addNode('LayerNormalization', inputs, {
      axis: -shape.length,
      epsilon: { float: m.eps },
    })[0]!;
  },
});

/**
 * LSTM and GRU: one ONNX LSTM/GRU node per layer (both directions in one node). torch's gate blocks are
 * reordered to ONNX's (LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h with linear_before_reset, torch's GRU
 * form). The graph returns the output sequence (the first element of forward's result); the final states
 * are not graph outputs.
 */
function recurrentRule(kind: 'LSTM' | 'GRU') {
  const order = kind === 'LSTM' ? [0, 3, 1, 2] : [1, 0, 2];
  return (ctx: ExportContext, m: LSTM | GRU, x: string, sample: Tensor): string => {
    if (sample.ndim !== 3)
      fail('onnx.export', `${kind} exports batched 3-D input only, got rank ${sample.ndim}`);
    const g = ctx.g;
    const params = new Map(m.namedParameters());
    const H = m.hiddenSize;
    const dirs = m.bidirectional ? 2 : 1;
    const blocks = (name: string): Float32Array => {
      const t = params.get(name);
      if (t === undefined) fail('onnx.export', `${kind}: parameter ${name} is missing`);
      const a = Float32Array.from(t.toTypedArray() as ArrayLike<number>);
      const per = a.length / order.length;
      const out = new Float32Array(a.length);
      order.forEach((src, dst) => {
        out.set(a.subarray(src * per, (src + 1) * per), dst * per);
      });
      return out;
    };
    const concat = (parts: Float32Array[]): Float32Array => {
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      return out;
    };
    let y = m.batchFirst ? g.addNode('Transpose', [x], { perm: [1, 0, 2] })[0]! : x;
    let inSize = m.inputSize;
    for (let l = 0; l < m.numLayers; l++) {
      const sfx = (d: number) => `_l${l}${d === 1 ? '_reverse' : ''}`;
      const ds = [...Array(dirs).keys()];
      const gates = order.length * H;
      const w = g.addFloatConst(
        `${kind}_W_l${l}`,
        [dirs, gates, inSize],
        concat(ds.map((d) => blocks(`weight_ih${sfx(d)}`))),
      );
      const r = g.addFloatConst(
        `${kind}_R_l${l}`,
        [dirs, gates, H],
        concat(ds.map((d) => blocks(`weight_hh${sfx(d)}`))),
      );
      const inputs = [y, w, r];
      if (m.bias)
        inputs.push(
          g.addFloatConst(
            `${kind}_B_l${l}`,
            [dirs, 2 * gates],
            concat(ds.flatMap((d) => [blocks(`bias_ih${sfx(d)}`), blocks(`bias_hh${sfx(d)}`)])),
          ),
        );
      const attrs: Record<string, number | string> = {
        hidden_size: H,
        direction: dirs === 2 ? 'bidirectional' : 'forward',
      };
      if (kind === 'GRU') attrs.linear_before_reset = 1;
      const [seq] = g.addNode(kind, inputs, attrs, { outputs: 1 });
      // Y [T, dirs, N, H] -> [T, N, dirs * H], the library's layout for the next layer and the output.
      const t = g.addNode('Transpose', [seq!], { perm: [0, 2, 1, 3] })[0]!;
      y = g.addNode('Reshape', [t, g.addInt64('rnn_shape', [0, 0, -1])])[0]!;
      inSize = dirs * H;
    }
    return m.batchFirst ? g.addNode('Transpose', [y], { perm: [1, 0, 2] })[0]! : y;
  };
}
registerExportRule(LSTM, { emit: recurrentRule('LSTM') });
registerExportRule(GRU, { emit: recurrentRule('GRU') });
