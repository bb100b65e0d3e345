import { check } from '../core/errors.ts';
import { defaultsOf, type OptionSpecs } from '../core/options.ts';
import { zerosLike } from '../tensor/creation.ts';
import { keep } from '../tensor/lifecycle.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type GroupOptions, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.ts';

export interface RMSpropOptions extends GroupOptions {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

interface RMSpropState {
  [k: string]: Tensor | number | undefined;
  step: number;
  squareAvg: Tensor;
  momentumBuffer?: Tensor;
  gradAvg?: Tensor;
}

/**
 * RMSprop (torch.optim.RMSprop): eps is added to the root of the mean square (not inside it, unlike Keras);
 * `centered` subtracts the squared running mean of the gradient.
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  /** The options, declared once: constructors, `getOptimizer` and the CLI's YAML schema read them. */
  static readonly options: OptionSpecs = {
    lr: { type: 'number', gt: 0, default: 1e-2 },
    alpha: { type: 'number', gt: 0, default: 0.99 },
    eps: { type: 'number', gt: 0, default: 1e-8 },
    weightDecay: { type: 'number', min: 0, default: 0 },
    momentum: { type: 'number', min: 0, default: 0 },
    centered: { type: 'boolean', default: false },
    maximize: { type: 'boolean', default: false },
  };

  get name(): string {
    return 'RMSprop';
  }

  constructor(params: ParamsInput<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super(params, { ...defaultsOf<RMSpropOptions>(RMSprop.options), ...opts });
  }

  protected override validate(g: ParamGroup<RMSpropOptions>): void {
    super.validate(g);
    check(g.alpha >= 0, 'RMSprop', () => `alpha must be >= 0, got ${g.alpha}`);
    check(g.eps >= 0, 'RMSprop', () => `eps must be >= 0, got ${g.eps}`);
    check(g.momentum >= 0, 'RMSprop', () => `momentum must be >= 0, got ${g.momentum}`);
    check(g.weightDecay >= 0, 'RMSprop', () => `weightDecay must be >= 0, got ${g.weightDecay}`);
  }

  protected initState(p: Tensor, g: ParamGroup<RMSpropOptions>): RMSpropState {
    const st: RMSpropState = { step: 0, squareAvg: zerosLike(p) };
    if (g.momentum > 0) st.momentumBuffer = zerosLike(p);
    if (g.centered) st.gradAvg = zerosLike(p);
    return st;
  }

  protected update(p: Tensor, grad: Tensor, st: RMSpropState, g: ParamGroup<RMSpropOptions>): void {
    st.step += 1;
    let gr = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) gr = gr.add(p, g.weightDecay);
    st.squareAvg.mul_(g.alpha).add_(gr.mul(gr), 1 - g.alpha);
    let avg: Tensor;
    if (g.centered) {
      st.gradAvg ??= keep(zerosLike(p));
      st.gradAvg.mul_(g.alpha).add_(gr, 1 - g.alpha);
      avg = st.squareAvg.sub(st.gradAvg.mul(st.gradAvg)).sqrt();
    } else avg = st.squareAvg.sqrt();
    avg.add_(g.eps);
    if (g.momentum > 0) {
      st.momentumBuffer ??= keep(zerosLike(p));
      st.momentumBuffer.mul_(g.momentum).add_(gr.div(avg));
      p.add_(st.momentumBuffer, -g.lr);
    } else p.add_(gr.div(avg), -g.lr);
  }
}
