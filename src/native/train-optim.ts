/**
 * The optimizer update inside a captured training step: SGD (momentum, dampening, Nesterov, weight decay,
 * maximize) and Adam/AdamW, with the same arithmetic, in the same order, as the library's fused kernels
 * (tensor/ops/updates.ts), so a captured step matches the library's within float rounding. Options that do
 * not change between steps are baked into the graph (they are part of the session's cache key); the
 * learning rate and the step-dependent bias corrections are scalar inputs, so LR schedulers keep working.
 */
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { Adam } from '../optim/adam.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { SGD } from '../optim/sgd.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { scalar } from './train-rules.ts';

type Group = Record<string, unknown> & { params: Tensor[]; lr: number };

export interface OptimPlan {
  kind: 'sgd' | 'adam';
  /** Per-parameter state tensor names, as the library's optimizer keeps them. */
  stateKeys: readonly string[];
  /** Scalar inputs per group, recomputed before each step. */
  scalarKeys: readonly string[];
  /** The options baked into the graph, per group (the session cache key includes them). */
  statics(group: Group): string;
  /** Scalar values for one group at the coming step (`step` counts from 1). */
  scalars(group: Group, step: number): number[];
  /** Writes p' and state' for one parameter. */
  emit(
    g: GraphBuilder,
    group: Group,
    p: string,
    grad: string,
    state: string[],
    h: string[],
    out: { p: string; state: string[] },
  ): void;
}

const node = (g: GraphBuilder, op: string, inputs: string[]): string => g.addNode(op, inputs)[0]!;
const to = (g: GraphBuilder, op: string, inputs: string[], name: string): void => {
  g.addNode(op, inputs, {}, { outputs: [name] });
};

/** The plan for an optimizer, or the reason it cannot be captured. */
export function optimPlan(opt: Optimizer): OptimPlan | string {
  const groups = opt.paramGroups as unknown as Group[];
  if (opt instanceof SGD) {
    const momentum = groups.some((gr) => gr.momentum !== 0);
    return {
      kind: 'sgd',
      stateKeys: momentum ? ['momentumBuffer'] : [],
      scalarKeys: momentum ? ['negLr', 'dampCoef'] : ['negLr'],
      statics: (gr) => `sgd:${gr.momentum}:${gr.dampening}:${gr.weightDecay}:${gr.nesterov}:${gr.maximize}`,
      // The momentum buffer starts as the first gradient (torch): buf = 0*mu + d*1 on step 1.
      scalars: (gr, step) => (momentum ? [-gr.lr, step === 1 ? 1 : 1 - (gr.dampening as number)] : [-gr.lr]),
      emit(g, gr, p, grad, state, h, out) {
        let d = gr.maximize ? node(g, 'Neg', [grad]) : grad;
        const wd = gr.weightDecay as number;
        if (wd !== 0) d = node(g, 'Add', [d, node(g, 'Mul', [p, scalar(g, wd)])]);
        const mu = gr.momentum as number;
        if (momentum) {
          const buf = state[0]!;
          // A group without momentum in an optimizer with some: its buffer passes through unchanged.
          if (mu === 0) to(g, 'Identity', [buf], out.state[0]!);
          else {
            // Without dampening the coefficient of d is 1 on every step (the first included).
            const dc = gr.dampening === 0 ? d : node(g, 'Mul', [d, h[1]!]);
            to(g, 'Add', [node(g, 'Mul', [buf, scalar(g, mu)]), dc], out.state[0]!);
          }
          if (mu !== 0) {
            d = gr.nesterov
              ? node(g, 'Add', [d, node(g, 'Mul', [out.state[0]!, scalar(g, mu)])])
              : out.state[0]!;
          }
        }
        to(g, 'Add', [p, node(g, 'Mul', [d, h[0]!])], out.p);
      },
    };
  }
  if (opt instanceof Adam) {
    if (groups.some((gr) => gr.amsgrad === true)) return 'Adam with amsgrad (not captured)';
    const decoupled = opt.name === 'AdamW';
    return {
      kind: 'adam',
      stateKeys: ['expAvg', 'expAvgSq'],
      scalarKeys: ['negStepSize', 'bc2', 'decay'],
      statics: (gr) => `${opt.name}:${gr.betas}:${gr.eps}:${gr.weightDecay}:${gr.maximize}`,
      scalars: (gr, step) => {
        const [b1, b2] = gr.betas as [number, number];
        return [-gr.lr / (1 - b1 ** step), Math.sqrt(1 - b2 ** step), 1 - gr.lr * (gr.weightDecay as number)];
      },
      emit(g, gr, p, grad, state, h, out) {
        let gd = gr.maximize ? node(g, 'Neg', [grad]) : grad;
        const wd = gr.weightDecay as number;
        let pp = p;
        if (decoupled) pp = node(g, 'Mul', [p, h[2]!]);
        else if (wd !== 0) gd = node(g, 'Add', [gd, node(g, 'Mul', [p, scalar(g, wd)])]);
        const [b1, b2] = gr.betas as [number, number];
        const [m, v] = state as [string, string];
        to(
          g,
          'Add',
          [node(g, 'Mul', [m, scalar(g, b1)]), node(g, 'Mul', [gd, scalar(g, 1 - b1)])],
          out.state[0]!,
        );
        const g2 = node(g, 'Mul', [gd, gd]);
        to(
          g,
          'Add',
          [node(g, 'Mul', [v, scalar(g, b2)]), node(g, 'Mul', [g2, scalar(g, 1 - b2)])],
          out.state[1]!,
        );
        const denom = node(g, 'Add', [
          node(g, 'Div', [node(g, 'Sqrt', [out.state[1]!]), h[1]!]),
          scalar(g, gr.eps as number),
        ]);
        to(g, 'Add', [pp, node(g, 'Mul', [node(g, 'Div', [out.state[0]!, denom]), h[0]!])], out.p);
      },
    };
  }
  return `optimizer ${opt.name} (captured: SGD, Adam, AdamW)`;
}
