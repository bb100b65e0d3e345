/**
 * Forward and backward ONNX emission per layer, for capturing a whole training step as one graph. Each rule
 * writes its forward nodes and returns a closure that writes the gradient nodes (the vector-Jacobian product)
 * given the name of the output's gradient: the backward graph is derived symbolically per op, layer by
 * layer in reverse, as a tape would replay it. A module without a rule makes the step uncapturable, and the
 * caller falls back to the library's own step with that reason.
 */
import { ELU, LeakyReLU, ReLU, Sigmoid, SiLU, Tanh } from '../nn/layers/activations.ts';
import { Flatten } from '../nn/layers/conv.ts';
import { Dropout } from '../nn/layers/dropout.ts';
import { Linear } from '../nn/layers/linear.ts';
import type { AnyModule } from '../nn/module.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';

export interface Emitted {
  y: string;
  shape: number[];
  /** Writes the backward nodes: gradient of the input (when `needDx`) and of each parameter by key. */
  back(dy: string, needDx: boolean): { dx?: string; grads: Record<string, string> };
}

export interface TrainRule {
  /** Why this instance cannot be captured whatever the input shape, or null. */
  unsupported?(m: AnyModule): string | null;
  /** Why it cannot be captured for this input shape, or null. */
  shapeProblem?(shape: readonly number[]): string | null;
  emit(
    g: GraphBuilder,
    m: AnyModule,
    x: string,
    shape: readonly number[],
    param: (key: string) => string,
  ): Emitted;
}

/** A float scalar constant (fresh name). */
export const scalar = (g: GraphBuilder, v: number): string => g.addFloatConst('c', [], Float32Array.of(v));
const node = (g: GraphBuilder, op: string, inputs: string[], attrs = {}): string =>
  g.addNode(op, inputs, attrs)[0]!;

/** An element-wise activation: forward op, and dx from (dy, x, y). */
function activation(
  forward: (g: GraphBuilder, m: AnyModule, x: string) => string,
  grad: (g: GraphBuilder, m: AnyModule, dy: string, x: string, y: string) => string,
): TrainRule {
  return {
    emit(g, m, x, shape) {
      const y = forward(g, m, x);
      return {
        y,
        shape: [...shape],
        back: (dy, needDx) => ({ grads: {}, ...(needDx ? { dx: grad(g, m, dy, x, y) } : {}) }),
      };
    },
  };
}

const rules = new Map<unknown, TrainRule>();

rules.set(Linear, {
  shapeProblem: (shape) =>
    shape.length === 2
      ? null
      : `Linear on a ${shape.length}-D input (the captured step takes 2-D [batch, features])`,
  emit(g, mod, x, shape, param) {
    const m = mod as Linear;
    const w = param('weight');
    const b = m.bias === null ? null : param('bias');
    const y = node(g, 'Gemm', b === null ? [x, w] : [x, w, b], { transB: 1 });
    return {
      y,
      shape: [shape[0]!, m.outFeatures],
      back(dy, needDx) {
        // dW = dy^T x, db = sum over the batch of dy, dx = dy W.
        const grads: Record<string, string> = { weight: node(g, 'Gemm', [dy, x], { transA: 1 }) };
        if (b !== null) grads.bias = node(g, 'ReduceSum', [dy, g.addInt64('axes', [0])], { keepdims: 0 });
        return needDx ? { grads, dx: node(g, 'MatMul', [dy, w]) } : { grads };
      },
    };
  },
});

const zeroLike = (g: GraphBuilder): string => scalar(g, 0);
const positive = (g: GraphBuilder, x: string): string => node(g, 'Greater', [x, zeroLike(g)]);

rules.set(
  ReLU,
  activation(
    (g, _m, x) => node(g, 'Relu', [x]),
    (g, _m, dy, _x, y) => node(g, 'Where', [positive(g, y), dy, zeroLike(g)]),
  ),
);
rules.set(
  LeakyReLU,
  activation(
    (g, m, x) => node(g, 'LeakyRelu', [x], { alpha: { float: (m as LeakyReLU).negativeSlope } }),
    (g, m, dy, x) =>
      node(g, 'Where', [positive(g, x), dy, node(g, 'Mul', [dy, scalar(g, (m as LeakyReLU).negativeSlope)])]),
  ),
);
rules.set(
  Sigmoid,
  activation(
    (g, _m, x) => node(g, 'Sigmoid', [x]),
    // dy * s * (1 - s)
    (g, _m, dy, _x, s) => node(g, 'Mul', [dy, node(g, 'Mul', [s, node(g, 'Sub', [scalar(g, 1), s])])]),
  ),
);
rules.set(
  Tanh,
  activation(
    (g, _m, x) => node(g, 'Tanh', [x]),
    // dy * (1 - t^2)
    (g, _m, dy, _x, t) => node(g, 'Mul', [dy, node(g, 'Sub', [scalar(g, 1), node(g, 'Mul', [t, t])])]),
  ),
);
rules.set(SiLU, {
  emit(g, _m, x, shape) {
    const s = node(g, 'Sigmoid', [x]);
    const y = node(g, 'Mul', [x, s]);
    return {
      y,
      shape: [...shape],
      back(dy, needDx) {
        if (!needDx) return { grads: {} };
        // d/dx x*s(x) = s * (1 + x * (1 - s))
        const oneMinus = node(g, 'Sub', [scalar(g, 1), s]);
        const inner = node(g, 'Add', [scalar(g, 1), node(g, 'Mul', [x, oneMinus])]);
        return { grads: {}, dx: node(g, 'Mul', [dy, node(g, 'Mul', [s, inner])]) };
      },
    };
  },
});
rules.set(ELU, {
  unsupported: (m) => ((m as ELU).alpha === 1 ? null : 'ELU with alpha != 1'),
  emit(g, _m, x, shape) {
    const y = node(g, 'Elu', [x], { alpha: { float: 1 } });
    return {
      y,
      shape: [...shape],
      // x > 0: dy; else dy * (y + 1) (alpha 1)
      back: (dy, needDx) =>
        needDx
          ? {
              grads: {},
              dx: node(g, 'Where', [
                positive(g, x),
                dy,
                node(g, 'Mul', [dy, node(g, 'Add', [y, scalar(g, 1)])]),
              ]),
            }
          : { grads: {} },
    };
  },
});
rules.set(Flatten, {
  emit(g, mod, x, shape) {
    const m = mod as Flatten;
    const n = shape.length;
    const start = m.startDim < 0 ? m.startDim + n : m.startDim;
    const end = m.endDim < 0 ? m.endDim + n : m.endDim;
    const out = [
      ...shape.slice(0, start),
      shape.slice(start, end + 1).reduce((a, b) => a * b, 1),
      ...shape.slice(end + 1),
    ];
    const y = node(g, 'Reshape', [x, g.addInt64('shape', out)]);
    return {
      y,
      shape: out,
      back: (dy, needDx) =>
        needDx ? { grads: {}, dx: node(g, 'Reshape', [dy, g.addInt64('shape', [...shape])]) } : { grads: {} },
    };
  },
});
rules.set(Dropout, {
  unsupported: (m) =>
    (m as Dropout).p === 0
      ? null
      : `Dropout(p=${(m as Dropout).p}) in training mode draws from the library's RNG`,
  emit: (_g, _m, x, shape) => ({ y: x, shape: [...shape], back: (dy) => ({ grads: {}, dx: dy }) }),
});

/** The rule for a module's class (exact class: a subclass may change forward). */
export function trainRuleFor(m: AnyModule): TrainRule | undefined {
  return rules.get(m.constructor);
}

/** Layer classes a captured training step supports, for messages and docs. */
export function trainRuleNames(): string[] {
  return [...rules.keys()].map((c) => (c as { name: string }).name);
}
