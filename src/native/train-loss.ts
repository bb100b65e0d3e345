/**
 * Losses of a captured training step: each writes the scalar loss (mean reduction, as the library's
 * functional losses default to) and its gradient with respect to the model output, in closed form.
 */
import { fail } from '../core/errors.ts';
import { didYouMean } from '../core/registry.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { ElemType } from '../onnx/proto.ts';
import { scalar } from './train-rules.ts';

export const NATIVE_LOSSES = ['crossEntropy', 'mse', 'bce', 'bceWithLogits'] as const;
export type NativeLoss = (typeof NATIVE_LOSSES)[number];

export function checkLoss(name: string): NativeLoss {
  if (!(NATIVE_LOSSES as readonly string[]).includes(name))
    fail(
      'native.trainStep',
      `unknown loss "${name}"${didYouMean(name, NATIVE_LOSSES)}; losses: ${NATIVE_LOSSES.join(', ')}`,
    );
  return name as NativeLoss;
}

/** The target's element type and shape for a loss, given the output shape. */
export function targetSpec(
  loss: NativeLoss,
  out: readonly number[],
): { elem: number; dtype: 'int32' | 'float32'; shape: number[] } {
  return loss === 'crossEntropy'
    ? { elem: ElemType.INT32, dtype: 'int32', shape: [out[0]!] }
    : { elem: ElemType.FLOAT, dtype: 'float32', shape: [...out] };
}

const node = (g: GraphBuilder, op: string, inputs: string[], attrs = {}): string =>
  g.addNode(op, inputs, attrs)[0]!;

/** Writes loss -> `lossName` and returns the name of d loss / d z. */
export function emitLoss(
  g: GraphBuilder,
  loss: NativeLoss,
  z: string,
  y: string,
  shape: readonly number[],
  lossName: string,
): string {
  const numel = shape.reduce((a, b) => a * b, 1);
  const mean = (t: string): string =>
    g.addNode('ReduceMean', [t], { keepdims: 0 }, { outputs: [lossName] })[0]!;
  switch (loss) {
    case 'crossEntropy': {
      if (shape.length !== 2)
        fail('native.trainStep', `crossEntropy needs [batch, classes] logits, got ${shape.length}-D`);
      const n = shape[0]!;
      const logp = node(g, 'LogSoftmax', [z], { axis: 1 });
      const y64 = node(g, 'Cast', [y], { to: ElemType.INT64 });
      const depth = g.addInt64('depth', [shape[1]!], []);
      const values = g.addFloatConst('onehot_values', [2], Float32Array.of(0, 1));
      const onehot = node(g, 'OneHot', [y64, depth, values], { axis: -1 });
      const picked = node(g, 'ReduceSum', [node(g, 'Mul', [logp, onehot])], { keepdims: 0 });
      g.addNode('Mul', [picked, scalar(g, -1 / n)], {}, { outputs: [lossName] });
      // d/dz = (softmax - onehot) / N
      return node(g, 'Mul', [node(g, 'Sub', [node(g, 'Exp', [logp]), onehot]), scalar(g, 1 / n)]);
    }
    case 'mse': {
      const d = node(g, 'Sub', [z, y]);
      mean(node(g, 'Mul', [d, d]));
      return node(g, 'Mul', [d, scalar(g, 2 / numel)]);
    }
    case 'bce': {
      // -(y log p + (1-y) log(1-p)), logs clamped at -100 as torch does.
      const one = scalar(g, 1);
      const lo = scalar(g, -100);
      const logp = node(g, 'Max', [node(g, 'Log', [z]), lo]);
      const oneMinusP = node(g, 'Sub', [one, z]);
      const oneMinusY = node(g, 'Sub', [one, y]);
      const log1mp = node(g, 'Max', [node(g, 'Log', [oneMinusP]), lo]);
      const ll = node(g, 'Add', [node(g, 'Mul', [y, logp]), node(g, 'Mul', [oneMinusY, log1mp])]);
      g.addNode(
        'Mul',
        [node(g, 'ReduceMean', [ll], { keepdims: 0 }), scalar(g, -1)],
        {},
        { outputs: [lossName] },
      );
      // d/dp = ((1-y)/(1-p) - y/p) / numel
      const dp = node(g, 'Sub', [node(g, 'Div', [oneMinusY, oneMinusP]), node(g, 'Div', [y, z])]);
      return node(g, 'Mul', [dp, scalar(g, 1 / numel)]);
    }
    case 'bceWithLogits': {
      // (1-y) z + log1p(exp(-|z|)) + max(-z, 0); d/dz = (sigmoid(z) - y) / numel
      const one = scalar(g, 1);
      const soft = node(g, 'Add', [
        node(g, 'Log', [node(g, 'Add', [one, node(g, 'Exp', [node(g, 'Neg', [node(g, 'Abs', [z])])])])]),
        node(g, 'Relu', [node(g, 'Neg', [z])]),
      ]);
      mean(node(g, 'Add', [node(g, 'Mul', [node(g, 'Sub', [one, y]), z]), soft]));
      return node(g, 'Mul', [node(g, 'Sub', [node(g, 'Sigmoid', [z]), y]), scalar(g, 1 / numel)]);
    }
  }
}
