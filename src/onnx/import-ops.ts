/**
 * ONNX operators an imported graph may use (opset 13 and later), each written in the library's tensor ops
 * so that gradients flow through every one of them and imported parameters train.
 */
import { fail } from '../core/errors.ts';
import { full, tensor } from '../tensor/creation.ts';
import { elu, leakyRelu, logSoftmax, softmax, softplus } from '../tensor/ops/activations.ts';
import { adaptiveAvgPool2d, avgPool2d, conv2d, maxPool2d } from '../tensor/ops/conv.ts';
import { cast } from '../tensor/ops/elementwise.ts';
import { indexSelect } from '../tensor/ops/indexing.ts';
import { cat, stack } from '../tensor/ops/join.ts';
import { linear, matmul } from '../tensor/ops/linalg.ts';
import { batchNorm, layerNorm } from '../tensor/ops/normalization.ts';
import { mean } from '../tensor/ops/reduce.ts';
import { permute, reshape, slice } from '../tensor/ops/views.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type Attrs, asInts, asTensor, decodeTensor, IntList, type Value } from './import-values.ts';

export interface OpContext {
  readonly a: Attrs;
  /** The ai.onnx opset the model imports (some ops moved attributes to inputs at 13 and 18). */
  readonly opset: number;
  /** How many outputs the node names (trailing optional outputs may be left empty). */
  readonly outputs: number;
}

export type OpImpl = (inputs: (Value | undefined)[], ctx: OpContext) => Value[];

const ops = new Map<string, OpImpl>();

/**
 * The ai.onnx version from which each op's semantics are the ones implemented here (the operator
 * changelog): a model stamped with an older opset still imports when all of its ops are at least this old,
 * as the ONNX backend tests are (Conv at 11, MaxPool at 12).
 */
const SINCE: Record<string, number> = {
  Abs: 6,
  Add: 7,
  AveragePool: 11,
  BatchNormalization: 9,
  Cast: 6,
  Concat: 11,
  Constant: 12,
  Conv: 11,
  ConstantOfShape: 9,
  LSTM: 7,
  Div: 7,
  Dropout: 13,
  Elu: 6,
  Erf: 9,
  Exp: 6,
  Flatten: 11,
  Gather: 11,
  Gemm: 11,
  GlobalAveragePool: 1,
  Identity: 1,
  LayerNormalization: 17,
  LeakyRelu: 6,
  Log: 6,
  LogSoftmax: 13,
  MatMul: 9,
  MaxPool: 11,
  Mul: 7,
  Neg: 6,
  Pad: 11,
  Pow: 7,
  Reciprocal: 6,
  ReduceMean: 11,
  Relu: 6,
  Reshape: 5,
  Shape: 1,
  Sigmoid: 6,
  Softmax: 13,
  Softplus: 1,
  Sqrt: 6,
  Squeeze: 11,
  Sub: 7,
  Tanh: 6,
  Transpose: 1,
  Unsqueeze: 11,
};

/** The ops the importer supports, sorted (for docs and error messages). */
export function supportedOps(): string[] {
  return [...ops.keys()].sort();
}

export function opImpl(opType: string): OpImpl | undefined {
  return ops.get(opType);
}

/** The oldest opset whose version of `opType` the importer implements (13 when not listed). */
export function opSince(opType: string): number {
  return SINCE[opType] ?? 13;
}

const T = (v: Value | undefined, c: OpContext, i = 0): Tensor => asTensor(v, c.a.where, String(i));
const normAxis = (axis: number, rank: number, c: OpContext): number => {
  const r = axis < 0 ? axis + rank : axis;
  if (r < 0 || r >= rank) fail('onnx.import', `${c.a.where}: axis ${axis} is out of range for rank ${rank}`);
  return r;
};
const onlyFirstOutput = (c: OpContext, extra: string) => {
  if (c.outputs > 1) fail('onnx.import', `${c.a.where}: the ${extra} output is not supported`);
};

function unary(name: string, f: (x: Tensor, c: OpContext) => Tensor): void {
  ops.set(name, (inp, c) => [f(T(inp[0], c), c)]);
}
unary('Relu', (x) => x.relu());
unary('Sigmoid', (x) => x.sigmoid());
unary('Tanh', (x) => x.tanh());
unary('Exp', (x) => x.exp());
unary('Log', (x) => x.log());
unary('Sqrt', (x) => x.sqrt());
unary('Neg', (x) => x.neg());
unary('Abs', (x) => x.abs());
unary('Erf', (x) => x.erf());
unary('Reciprocal', (x) => x.reciprocal());
unary('LeakyRelu', (x, c) => leakyRelu(x, { negativeSlope: c.a.float('alpha', 0.01) }));
unary('Elu', (x, c) => elu(x, { alpha: c.a.float('alpha', 1) }));
unary('Softplus', (x) => softplus(x));
unary('Softmax', (x, c) => softmax(x, c.a.int('axis', -1)));
unary('LogSoftmax', (x, c) => logSoftmax(x, c.a.int('axis', -1)));
unary('GlobalAveragePool', (x, c) => {
  if (x.ndim !== 4) fail('onnx.import', `${c.a.where}: only 2-D pooling (4-D input) is supported`);
  return adaptiveAvgPool2d(x, 1);
});
ops.set('Identity', (inp) => [inp[0] as Value]);
ops.set('Dropout', (inp, c) => {
  // Inference graphs: dropout is the identity (training_mode, when given, must be false).
  onlyFirstOutput(c, 'mask');
  const training = inp[2];
  if (training !== undefined && asInts(training, c.a.where, 'training_mode').some((v) => v !== 0))
    fail(
      'onnx.import',
      `${c.a.where}: training_mode true is not supported (random masks cannot be reproduced)`,
    );
  return [inp[0] as Value];
});

function broadcastInts(a: IntList, b: IntList, f: (x: number, y: number) => number, c: OpContext): IntList {
  if (a.values.length === b.values.length)
    return new IntList(
      a.values.map((x, i) => f(x, b.values[i]!)),
      a.dims,
    );
  if (b.values.length === 1)
    return new IntList(
      a.values.map((x) => f(x, b.values[0]!)),
      a.dims,
    );
  if (a.values.length === 1)
    return new IntList(
      b.values.map((y) => f(a.values[0]!, y)),
      b.dims,
    );
  fail(
    'onnx.import',
    `${c.a.where}: integer operands of sizes ${a.values.length} and ${b.values.length} do not broadcast`,
  );
}
function binary(
  name: string,
  tf: (x: Tensor, y: Tensor) => Tensor,
  nf: (x: number, y: number) => number,
): void {
  ops.set(name, (inp, c) => {
    const [x, y] = inp;
    if (x instanceof IntList && y instanceof IntList) return [broadcastInts(x, y, nf, c)];
    return [tf(T(x, c, 0), T(y, c, 1))];
  });
}
binary(
  'Add',
  (x, y) => x.add(y),
  (x, y) => x + y,
);
binary(
  'Sub',
  (x, y) => x.sub(y),
  (x, y) => x - y,
);
binary(
  'Mul',
  (x, y) => x.mul(y),
  (x, y) => x * y,
);
// Integer division truncates (as ONNX's integer Div); float division is the usual one.
binary(
  'Div',
  (x, y) => (x.dtype === 'int32' && y.dtype === 'int32' ? x.div(y).to('int32') : x.div(y)),
  (x, y) => Math.trunc(x / y),
);
ops.set('Pow', (inp, c) => {
  const y = inp[1];
  const e = y instanceof IntList ? y.values : y instanceof Tensor && y.size === 1 ? [y.item()] : null;
  return [e !== null && e.length === 1 ? T(inp[0], c).pow(e[0]!) : T(inp[0], c).pow(T(y, c, 1))];
});

ops.set('MatMul', (inp, c) => [matmul(T(inp[0], c), T(inp[1], c, 1))]);
ops.set('Gemm', (inp, c) => {
  const a = T(inp[0], c);
  const b = T(inp[1], c, 1);
  const bias = inp[2] === undefined ? null : T(inp[2], c, 2);
  const alpha = c.a.float('alpha', 1);
  const beta = c.a.float('beta', 1);
  const ta = c.a.int('transA', 0) === 1;
  const tb = c.a.int('transB', 0) === 1;
  // torch.nn.Linear's form (transB, alpha = beta = 1) maps onto the fused linear op.
  if (!ta && tb && alpha === 1 && beta === 1 && (bias === null || bias.ndim === 1))
    return [linear(a, b, { bias })];
  let y = matmul(ta ? permute(a, [1, 0]) : a, tb ? permute(b, [1, 0]) : b);
  if (alpha !== 1) y = y.mul(alpha);
  if (bias !== null) y = y.add(beta === 1 ? bias : bias.mul(beta));
  return [y];
});

/** ONNX pads [hBegin, wBegin, hEnd, wEnd] of a 2-D kernel op, auto_pad resolved. */
function rawPads(
  c: OpContext,
  x: Tensor,
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  const auto = c.a.string('auto_pad', 'NOTSET');
  let p = c.a.ints('pads', [0, 0, 0, 0]);
  if (auto === 'VALID') p = [0, 0, 0, 0];
  else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    p = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const n = x.shape[2 + i]!;
      const out = Math.ceil(n / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - n);
      const small = Math.floor(total / 2);
      p[i] = auto === 'SAME_UPPER' ? small : total - small;
      p[i + 2] = total - p[i]!;
    }
  } else if (auto !== 'NOTSET') fail('onnx.import', `${c.a.where}: auto_pad ${auto} is not supported`);
  if (p.length !== 4 || p.some((v) => v < 0))
    fail('onnx.import', `${c.a.where}: expected 4 non-negative 2-D pads, got [${p.join(', ')}]`);
  return p;
}

/** Pads dims 2 and 3 of x by [hBegin, wBegin, hEnd, wEnd] with `value` (concatenation keeps the gradient). */
function padSpatial(x: Tensor, p: number[], value: number): Tensor {
  let y = x;
  for (const ax of [2, 3]) {
    const before = p[ax - 2]!;
    const after = p[ax]!;
    const block = (n: number) => {
      const shape = [...y.shape];
      shape[ax] = n;
      return full(shape, value, { dtype: y.dtype });
    };
    if (before > 0 || after > 0)
      y = cat([...(before > 0 ? [block(before)] : []), y, ...(after > 0 ? [block(after)] : [])], ax);
  }
  return y;
}

/**
 * The input and symmetric padding a 2-D kernel op runs with. Pads the library's ops cannot take
 * (asymmetric, or wider than half the kernel) are applied beforehand with `fill` (0 for conv and for
 * averages that count padding, -inf for max pooling); a null `fill` refuses them.
 */
function padded(
  c: OpContext,
  x: Tensor,
  kernel: number[],
  strides: number[],
  dilations: number[],
  fill: number | null,
): [Tensor, [number, number]] {
  const p = rawPads(c, x, kernel, strides, dilations);
  const symmetric = p[0] === p[2] && p[1] === p[3];
  const fits = 2 * p[0]! <= kernel[0]! && 2 * p[1]! <= kernel[1]!;
  if (symmetric && fits) return [x, [p[0]!, p[1]!]];
  if (fill === null)
    fail(
      'onnx.import',
      `${c.a.where}: only symmetric padding of at most half the kernel is supported here, got pads [${p.join(', ')}]`,
    );
  return [padSpatial(x, p, fill), [0, 0]];
}

function check2d(c: OpContext, x: Tensor): void {
  if (x.ndim !== 4)
    fail('onnx.import', `${c.a.where}: only 2-D (4-D NCHW input) is supported, got rank ${x.ndim}`);
}

ops.set('Conv', (inp, c) => {
  const x = T(inp[0], c);
  const w = T(inp[1], c, 1);
  check2d(c, x);
  const kernel = c.a.ints('kernel_shape', [w.shape[2]!, w.shape[3]!]);
  const strides = c.a.ints('strides', [1, 1]);
  const dilations = c.a.ints('dilations', [1, 1]);
  const [xp, padding] = padded(c, x, kernel, strides, dilations, 0);
  const bias = inp[2] === undefined ? null : T(inp[2], c, 2);
  return [
    conv2d(xp, w, {
      bias,
      stride: [strides[0]!, strides[1]!],
      padding,
      dilation: [dilations[0]!, dilations[1]!],
      groups: c.a.int('group', 1),
    }),
  ];
});

ops.set('MaxPool', (inp, c) => {
  const x = T(inp[0], c);
  check2d(c, x);
  onlyFirstOutput(c, 'Indices');
  if (c.a.int('storage_order', 0) !== 0)
    fail('onnx.import', `${c.a.where}: storage_order 1 is not supported`);
  const k = c.a.ints('kernel_shape');
  const s = c.a.ints('strides', [1, 1]);
  const d = c.a.ints('dilations', [1, 1]);
  const [xp, padding] = padded(c, x, k, s, d, Number.NEGATIVE_INFINITY);
  return [
    maxPool2d(xp, {
      kernelSize: [k[0]!, k[1]!],
      stride: [s[0]!, s[1]!],
      padding,
      dilation: [d[0]!, d[1]!],
      ceilMode: c.a.int('ceil_mode', 0) === 1,
    }),
  ];
});

ops.set('AveragePool', (inp, c) => {
  const x = T(inp[0], c);
  check2d(c, x);
  const k = c.a.ints('kernel_shape');
  const s = c.a.ints('strides', [1, 1]);
  const d = c.a.ints('dilations', [1, 1]);
  if (d.some((v) => v !== 1)) fail('onnx.import', `${c.a.where}: dilated average pooling is not supported`);
  const includePad = c.a.int('count_include_pad', 0) === 1;
  const pool = (t: Tensor, padding: [number, number]) =>
    avgPool2d(t, {
      kernelSize: [k[0]!, k[1]!],
      stride: [s[0]!, s[1]!],
      padding,
      ceilMode: c.a.int('ceil_mode', 0) === 1,
      countIncludePad: includePad,
    });
  const p = rawPads(c, x, k, s, d);
  if (!includePad && (p[0] !== p[2] || p[1] !== p[3] || 2 * p[0]! > k[0]! || 2 * p[1]! > k[1]!)) {
    // Padding the library's pooling cannot take, excluded from the count: the average of the zero-padded
    // input over the average of a zero-padded mask of ones (each window's share of real pixels).
    const ones = full([1, 1, x.shape[2]!, x.shape[3]!], 1, { dtype: x.dtype });
    return [pool(padSpatial(x, p, 0), [0, 0]).div(pool(padSpatial(ones, p, 0), [0, 0]))];
  }
  const [xp, padding] = padded(c, x, k, s, d, 0);
  return [pool(xp, padding)];
});

ops.set('BatchNormalization', (inp, c) => {
  if (c.a.int('training_mode', 0) !== 0)
    fail('onnx.import', `${c.a.where}: training_mode 1 is not supported`);
  onlyFirstOutput(c, 'running statistics');
  const [x, scale, bias, m, v] = [0, 1, 2, 3, 4].map((i) => T(inp[i], c, i)) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  return [
    batchNorm(x, m, v, {
      weight: scale,
      bias,
      training: false,
      momentum: 0,
      eps: c.a.float('epsilon', 1e-5),
    }),
  ];
});

ops.set('LayerNormalization', (inp, c) => {
  const x = T(inp[0], c);
  const axis = normAxis(c.a.int('axis', -1), x.ndim, c);
  const bias = inp[2] === undefined ? null : T(inp[2], c, 2);
  const eps = c.a.float('epsilon', 1e-5);
  const scale = T(inp[1], c, 1);
  const dims = x.shape.slice(axis);
  // Scale and bias broadcast against the normalised dims; layerNorm wants them shaped as those dims.
  const full = (t: Tensor) =>
    t.shape.join(',') === dims.join(',')
      ? t
      : t.mul(tensor(new Float32Array(dims.reduce((p, q) => p * q, 1)).fill(1), { shape: dims }));
  const y = layerNorm(x, dims, { weight: full(scale), bias: bias === null ? null : full(bias), eps });
  if (c.outputs <= 1) return [y];
  // The optional Mean and InvStdDev outputs: statistics over the normalised axes, kept as size-1 dims.
  const axes = [...Array(x.ndim - axis).keys()].map((i) => i + axis);
  const mu = mean(x, axes, true);
  const centred = x.sub(mu);
  const invStd = mean(centred.mul(centred), axes, true).add(eps).rsqrt();
  return [y, mu, invStd];
});

ops.set('Flatten', (inp, c) => {
  const x = T(inp[0], c);
  const axis = c.a.int('axis', 1);
  const ax = axis < 0 ? axis + x.ndim : axis;
  const lead = x.shape.slice(0, ax).reduce((p, q) => p * q, 1);
  return [reshape(x, [lead, x.size / Math.max(lead, 1)])];
});

ops.set('Reshape', (inp, c) => {
  const x = inp[0];
  const target = asInts(inp[1], c.a.where, 'shape');
  const allowZero = c.a.int('allowzero', 0) === 1;
  const dims = x instanceof IntList ? x.dims : T(x, c).shape;
  // 0 copies the input's dim at that position (unless allowzero); -1 is inferred.
  const shape = target.map((d, i) => (d === 0 && !allowZero ? dims[i]! : d));
  if (x instanceof IntList) {
    const known = shape.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
    return [
      new IntList(
        x.values,
        shape.map((d) => (d === -1 ? x.values.length / known : d)),
      ),
    ];
  }
  return [reshape(T(x, c), shape)];
});

ops.set('Transpose', (inp, c) => {
  const x = T(inp[0], c);
  const perm = c.a.ints('perm', [...Array(x.ndim).keys()].reverse());
  return [permute(x, perm)];
});

ops.set('Shape', (inp, c) => {
  const x = inp[0];
  const dims = x instanceof IntList ? x.dims : T(x, c).shape;
  const n = dims.length;
  const clip = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = dims.slice(clip(c.a.int('start', 0)), clip(c.a.int('end', n)));
  return [new IntList([...s], [s.length])];
});

ops.set('Constant', (_inp, c) => {
  const t = c.a.tensor('value');
  if (t !== undefined) return [decodeTensor(t, c.a.where)];
  if (c.a.has('value_int')) return [new IntList([c.a.int('value_int')], [])];
  if (c.a.has('value_ints')) {
    const v = c.a.ints('value_ints');
    return [new IntList(v, [v.length])];
  }
  if (c.a.has('value_float')) return [tensor(Float32Array.of(c.a.float('value_float', 0)), { shape: [] })];
  fail(
    'onnx.import',
    `${c.a.where}: only value, value_int, value_ints and value_float constants are supported`,
  );
});

function axesOf(inp: (Value | undefined)[], c: OpContext, index: number): number[] | null {
  // Axes became an input at opset 13 (Squeeze/Unsqueeze) and 18 (reductions); an attribute before.
  if (inp[index] !== undefined) return asInts(inp[index], c.a.where, 'axes');
  return c.a.has('axes') ? c.a.ints('axes') : null;
}

ops.set('Unsqueeze', (inp, c) => {
  const axes = axesOf(inp, c, 1) ?? fail('onnx.import', `${c.a.where}: axes are required`);
  const x = inp[0];
  const dims = x instanceof IntList ? [...x.dims] : [...T(x, c).shape];
  const rank = dims.length + axes.length;
  for (const a of axes.map((v) => (v < 0 ? v + rank : v)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
  return [x instanceof IntList ? new IntList(x.values, dims) : reshape(T(x, c), dims)];
});

ops.set('Squeeze', (inp, c) => {
  const x = inp[0];
  const dims = x instanceof IntList ? [...x.dims] : [...T(x, c).shape];
  const axes = axesOf(inp, c, 1);
  const drop = new Set(
    axes === null
      ? dims.flatMap((d, i) => (d === 1 ? [i] : []))
      : axes.map((a) => normAxis(a, dims.length, c)),
  );
  const out = dims.filter((_, i) => !drop.has(i));
  return [x instanceof IntList ? new IntList(x.values, out) : reshape(T(x, c), out)];
});

ops.set('Concat', (inp, c) => {
  const vals = inp.filter((v): v is Value => v !== undefined);
  if (vals.every((v) => v instanceof IntList)) {
    const ls = vals as IntList[];
    const values = ls.flatMap((l) => l.values);
    return [new IntList(values, [values.length])];
  }
  const ts = vals.map((v, i) => T(v, c, i));
  return [cat(ts, normAxis(c.a.int('axis'), ts[0]!.ndim, c))];
});

ops.set('Gather', (inp, c) => {
  const data = inp[0];
  const idx = inp[1];
  const axis = c.a.int('axis', 0);
  if (data instanceof IntList && idx instanceof IntList) {
    if (data.dims.length !== 1) fail('onnx.import', `${c.a.where}: integer Gather supports 1-D data only`);
    const n = data.values.length;
    return [
      new IntList(
        idx.values.map((i) => data.values[i < 0 ? i + n : i]!),
        idx.dims,
      ),
    ];
  }
  const x = T(data, c);
  const ax = normAxis(axis, x.ndim, c);
  const n = x.shape[ax]!;
  let flat: Tensor;
  let idxDims: number[];
  if (idx instanceof IntList) {
    flat = tensor(Int32Array.from(idx.values.map((i) => (i < 0 ? i + n : i))), {
      shape: [idx.values.length],
    });
    idxDims = idx.dims;
  } else if (idx instanceof Tensor && idx.dtype === 'int32') {
    // Indices carry no gradient: negative ones are wrapped on the host, as ONNX allows them.
    const raw = Int32Array.from(idx.toTypedArray() as Int32Array, (i) => (i < 0 ? i + n : i));
    flat = tensor(raw, { shape: [raw.length], dtype: 'int32' });
    idxDims = [...idx.shape];
  } else fail('onnx.import', `${c.a.where}: indices must be integers`);
  const picked = indexSelect(x, ax, flat);
  return [reshape(picked, [...x.shape.slice(0, ax), ...idxDims, ...x.shape.slice(ax + 1)])];
});

ops.set('Cast', (inp, c) => {
  const to = c.a.int('to');
  const x = inp[0];
  const isInt = to === 6 || to === 7 || to === 2 || to === 3 || to === 9;
  if (to === 1 || to === 11)
    return [x instanceof IntList ? asTensor(x, c.a.where, '0') : cast(T(x, c), 'float32')];
  if (isInt && x instanceof IntList) return [x];
  if (isInt) return [cast(T(x, c), 'int32')];
  fail('onnx.import', `${c.a.where}: Cast to element type ${to} is not supported`);
});

ops.set('ReduceMean', (inp, c) => {
  const x = T(inp[0], c);
  const axes = axesOf(inp, c, 1);
  const keep = c.a.int('keepdims', 1) === 1;
  const dims =
    axes === null || axes.length === 0 ? [...Array(x.ndim).keys()] : axes.map((a) => normAxis(a, x.ndim, c));
  return [mean(x, dims, keep)];
});

ops.set('Pad', (inp, c) => {
  const x = T(inp[0], c);
  const mode = c.a.string('mode', 'constant');
  if (mode !== 'constant')
    fail('onnx.import', `${c.a.where}: only constant padding is supported, got mode ${mode}`);
  const pads = asInts(inp[1], c.a.where, 'pads');
  const value = inp[2] === undefined ? 0 : T(inp[2], c, 2).item();
  const axes =
    inp[3] === undefined
      ? [...Array(x.ndim).keys()]
      : asInts(inp[3], c.a.where, 'axes').map((a) => normAxis(a, x.ndim, c));
  if (pads.some((p) => p < 0))
    fail('onnx.import', `${c.a.where}: negative pads (cropping) are not supported`);
  // Constant padding as a concatenation with filled blocks, so the gradient is the one of cat.
  let y = x;
  axes.forEach((ax, i) => {
    const before = pads[i]!;
    const after = pads[i + axes.length]!;
    if (before === 0 && after === 0) return;
    const block = (n: number) => {
      const shape = [...y.shape];
      shape[ax] = n;
      return full(shape, value, { dtype: y.dtype });
    };
    const parts = [...(before > 0 ? [block(before)] : []), y, ...(after > 0 ? [block(after)] : [])];
    y = cat(parts, ax);
  });
  return [y];
});

ops.set('ConstantOfShape', (inp, c) => {
  const shape = asInts(inp[0], c.a.where, 'input');
  const t = c.a.tensor('value');
  const v = t === undefined ? new IntList([0], [1]) : decodeTensor(t, c.a.where);
  // Integer fills stay on the host (they feed shape arithmetic or become int32 tensors on output).
  if (v instanceof IntList)
    return [new IntList(new Array(shape.reduce((p, q) => p * q, 1)).fill(v.values[0] ?? 0), shape)];
  return [full(shape, v.item(), { dtype: 'float32' })];
});

/**
 * LSTM (layout 0: X [seq, batch, in]; gates i, o, f, c as ONNX orders them), forward, reverse or
 * bidirectional, with peepholes and layout 1, written step by step in tensor ops so the weights train.
 * Clipping, custom activations, input_forget and ragged sequence_lens are refused.
 */
ops.set('LSTM', (inp, c) => {
  const where = c.a.where;
  // Layout 1 is batch-major ([batch, seq, in], states [batch, dirs, hidden]); computed as layout 0.
  const batchMajor = c.a.int('layout', 0) === 1;
  if (c.a.has('clip') || c.a.int('input_forget', 0) !== 0 || c.a.has('activations'))
    fail('onnx.import', `${where}: clip, input_forget and custom activations are not supported`);
  const x0 = T(inp[0], c);
  const x = batchMajor ? permute(x0, [1, 0, 2]) : x0;
  const state = (i: number) => {
    const v = inp[i] === undefined ? undefined : T(inp[i], c, i);
    return v !== undefined && batchMajor ? permute(v, [1, 0, 2]) : v;
  };
  const w = T(inp[1], c, 1);
  const r = T(inp[2], c, 2);
  const [seq, batch] = [x.shape[0]!, x.shape[1]!];
  const hidden = r.shape[2]!;
  if (inp[4] !== undefined && asInts(inp[4], where, 'sequence_lens').some((l) => l !== seq))
    fail('onnx.import', `${where}: sequence_lens shorter than the sequence are not supported`);
  const direction = c.a.string('direction', 'forward');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const ys: Tensor[] = [];
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let d = 0; d < dirs; d++) {
    const wd = reshape(w.narrow(0, d, 1), [4 * hidden, w.shape[2]!]);
    const rd = reshape(r.narrow(0, d, 1), [4 * hidden, hidden]);
    let bias: Tensor | null = null;
    if (inp[3] !== undefined) {
      const b = reshape(T(inp[3], c, 3).narrow(0, d, 1), [8 * hidden]);
      bias = b.narrow(0, 0, 4 * hidden).add(b.narrow(0, 4 * hidden, 4 * hidden));
    }
    const h0 = state(5);
    const c0 = state(6);
    let h = h0 === undefined ? full([batch, hidden], 0) : reshape(h0.narrow(0, d, 1), [batch, hidden]);
    let cell = c0 === undefined ? full([batch, hidden], 0) : reshape(c0.narrow(0, d, 1), [batch, hidden]);
    // Peepholes P [dirs, 3 * hidden] in the order i, o, f.
    const peep = inp[7] === undefined ? null : reshape(T(inp[7], c, 7).narrow(0, d, 1), [3 * hidden]);
    const pk = (k: number) => (peep === null ? null : peep.narrow(0, k * hidden, hidden));
    const [pi, po, pf] = [pk(0), pk(1), pk(2)];
    const reverse = direction === 'reverse' || d === 1;
    const outs: Tensor[] = new Array(seq);
    for (let step = 0; step < seq; step++) {
      const t = reverse ? seq - 1 - step : step;
      const xt = reshape(x.narrow(0, t, 1), [batch, x.shape[2]!]);
      const g = linear(xt, wd, { bias }).add(linear(h, rd));
      const gate = (k: number) => g.narrow(1, k * hidden, hidden);
      const i = (pi === null ? gate(0) : gate(0).add(pi.mul(cell))).sigmoid();
      const f = (pf === null ? gate(2) : gate(2).add(pf.mul(cell))).sigmoid();
      const cand = gate(3).tanh();
      cell = f.mul(cell).add(i.mul(cand));
      const o = (po === null ? gate(1) : gate(1).add(po.mul(cell))).sigmoid();
      h = o.mul(cell.tanh());
      outs[t] = h;
    }
    ys.push(stack(outs, 0));
    hs.push(h);
    cs.push(cell);
  }
  // Y [seq, dirs, batch, hidden]; Y_h and Y_c [dirs, batch, hidden].
  const y = stack(ys, 1);
  if (batchMajor) return [permute(y, [2, 0, 1, 3]), stack(hs, 1), stack(cs, 1)];
  return [y, stack(hs, 0), stack(cs, 0)];
});

/**
 * GRU (gates z, r, h as ONNX orders them; linear_before_reset 0 or 1, torch exports 1), both layouts and
 * all directions, step by step in tensor ops. Clipping, custom activations and ragged sequence_lens are
 * refused.
 */
ops.set('GRU', (inp, c) => {
  const where = c.a.where;
  const batchMajor = c.a.int('layout', 0) === 1;
  if (c.a.has('clip') || c.a.has('activations'))
    fail('onnx.import', `${where}: clip and custom activations are not supported`);
  const x0 = T(inp[0], c);
  const x = batchMajor ? permute(x0, [1, 0, 2]) : x0;
  const w = T(inp[1], c, 1);
  const r = T(inp[2], c, 2);
  const [seq, batch] = [x.shape[0]!, x.shape[1]!];
  const hidden = r.shape[2]!;
  if (inp[4] !== undefined && asInts(inp[4], where, 'sequence_lens').some((l) => l !== seq))
    fail('onnx.import', `${where}: sequence_lens shorter than the sequence are not supported`);
  const beforeReset = c.a.int('linear_before_reset', 0) === 1;
  const direction = c.a.string('direction', 'forward');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const h0All = inp[5] === undefined ? undefined : T(inp[5], c, 5);
  const h0s = h0All !== undefined && batchMajor ? permute(h0All, [1, 0, 2]) : h0All;
  const ys: Tensor[] = [];
  const hs: Tensor[] = [];
  for (let d = 0; d < dirs; d++) {
    const wd = reshape(w.narrow(0, d, 1), [3 * hidden, w.shape[2]!]);
    const rd = reshape(r.narrow(0, d, 1), [3 * hidden, hidden]);
    let wb: Tensor | null = null;
    let rb: Tensor | null = null;
    if (inp[3] !== undefined) {
      const b = reshape(T(inp[3], c, 3).narrow(0, d, 1), [6 * hidden]);
      wb = b.narrow(0, 0, 3 * hidden);
      rb = b.narrow(0, 3 * hidden, 3 * hidden);
    }
    const rh = rd.narrow(0, 2 * hidden, hidden);
    const rbh = rb === null ? null : rb.narrow(0, 2 * hidden, hidden);
    let h = h0s === undefined ? full([batch, hidden], 0) : reshape(h0s.narrow(0, d, 1), [batch, hidden]);
    const reverse = direction === 'reverse' || d === 1;
    const outs: Tensor[] = new Array(seq);
    for (let step = 0; step < seq; step++) {
      const t = reverse ? seq - 1 - step : step;
      const xt = reshape(x.narrow(0, t, 1), [batch, x.shape[2]!]);
      const gx = linear(xt, wd, { bias: wb });
      const gh = linear(h, rd, { bias: rb });
      const part = (g: Tensor, k: number) => g.narrow(1, k * hidden, hidden);
      const z = part(gx, 0).add(part(gh, 0)).sigmoid();
      const rr = part(gx, 1).add(part(gh, 1)).sigmoid();
      const hh = beforeReset ? rr.mul(part(gh, 2)) : linear(rr.mul(h), rh, { bias: rbh });
      const cand = part(gx, 2).add(hh).tanh();
      h = cand.add(z.mul(h.sub(cand)));
      outs[t] = h;
    }
    ys.push(stack(outs, 0));
    hs.push(h);
  }
  const y = stack(ys, 1);
  if (batchMajor) return [permute(y, [2, 0, 1, 3]), stack(hs, 1)];
  return [y, stack(hs, 0)];
});

ops.set('Split', (inp, c) => {
  const x = T(inp[0], c);
  const axis = normAxis(c.a.int('axis', 0), x.ndim, c);
  const n = x.shape[axis]!;
  // Sizes: the split input (13+), the split attribute (before 13), or equal parts over the outputs.
  let sizes =
    inp[1] !== undefined ? asInts(inp[1], c.a.where, 'split') : c.a.has('split') ? c.a.ints('split') : null;
  if (sizes === null) {
    const parts = c.outputs;
    const each = Math.ceil(n / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, n - i * each)));
  }
  if (sizes.reduce((p, q) => p + q, 0) !== n)
    fail('onnx.import', `${c.a.where}: split sizes [${sizes.join(', ')}] do not add up to ${n}`);
  let start = 0;
  return sizes.map((s) => {
    const part = x.narrow(axis, start, s);
    start += s;
    return part;
  });
});

ops.set('Slice', (inp, c) => {
  const x = inp[0];
  const dims = x instanceof IntList ? x.dims : T(x, c).shape;
  const starts = asInts(inp[1], c.a.where, 'starts');
  const ends = asInts(inp[2], c.a.where, 'ends');
  const axes = inp[3] === undefined ? starts.map((_, i) => i) : asInts(inp[3], c.a.where, 'axes');
  const steps = inp[4] === undefined ? starts.map(() => 1) : asInts(inp[4], c.a.where, 'steps');
  // Per dim, the picked positions (ONNX clamps out-of-range starts/ends; INT64_MAX means "to the end").
  const picks: (number[] | null)[] = dims.map(() => null);
  axes.forEach((a0, i) => {
    const a = normAxis(a0, dims.length, c);
    const n = dims[a]!;
    const step = steps[i]!;
    if (step === 0) fail('onnx.import', `${c.a.where}: step 0 is invalid`);
    const norm = (v: number) => (v < 0 ? v + n : v);
    const idx: number[] = [];
    if (step > 0) {
      const lo = Math.min(Math.max(norm(starts[i]!), 0), n);
      const hi = Math.min(Math.max(norm(ends[i]!), 0), n);
      for (let k = lo; k < hi; k += step) idx.push(k);
    } else {
      const hi = Math.min(Math.max(norm(starts[i]!), -1), n - 1);
      const lo = Math.min(Math.max(norm(ends[i]!), -1), n - 1);
      for (let k = hi; k > lo; k += step) idx.push(k);
    }
    picks[a] = idx;
  });
  if (x instanceof IntList) {
    if (dims.length !== 1) fail('onnx.import', `${c.a.where}: integer Slice supports 1-D data only`);
    const v = (picks[0] ?? x.values.map((_, i) => i)).map((i) => x.values[i]!);
    return [new IntList(v, [v.length])];
  }
  let y = T(x, c);
  picks.forEach((idx, a) => {
    if (idx === null) return;
    const step = idx.length > 1 ? idx[1]! - idx[0]! : 1;
    // Forward runs are strided views; reversed ones gather the positions.
    if (idx.length === 0 || step > 0) {
      const lo = y.shape.map(() => 0);
      const hi = [...y.shape];
      const st = y.shape.map(() => 1);
      lo[a] = idx[0] ?? 0;
      hi[a] = idx.length === 0 ? lo[a]! : idx.at(-1)! + 1;
      st[a] = step;
      y = slice(y, lo, hi, st);
    } else y = indexSelect(y, a, tensor(Int32Array.from(idx), { shape: [idx.length], dtype: 'int32' }));
  });
  return [y];
});
