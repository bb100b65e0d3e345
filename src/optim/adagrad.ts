import { check } from '../core/errors.ts';
import { defaultsOf, type OptionSpecs } from '../core/options.ts';
import { fullLike } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type GroupOptions, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.ts';

export interface AdagradOptions extends GroupOptions {
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

interface AdagradState {
  [k: string]: Tensor | number | undefined;
  step: number;
  sum: Tensor;
}

/** Adagrad (torch.optim.Adagrad): per-element step sizes from the running sum of squared gradients. */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  /** The options, declared once: constructors, `getOptimizer` and the CLI's YAML schema read them. */
  static readonly options: OptionSpecs = {
    lr: { type: 'number', gt: 0, default: 1e-2 },
    lrDecay: { type: 'number', min: 0, default: 0 },
    weightDecay: { type: 'number', min: 0, default: 0 },
    initialAccumulatorValue: { type: 'number', min: 0, default: 0 },
    eps: { type: 'number', gt: 0, default: 1e-10 },
    maximize: { type: 'boolean', default: false },
  };

  get name(): string {
    return 'Adagrad';
  }

  constructor(params: ParamsInput<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    super(params, { ...defaultsOf<AdagradOptions>(Adagrad.options), ...opts });
  }

  protected override validate(g: ParamGroup<AdagradOptions>): void {
    super.validate(g);
    check(g.lrDecay >= 0, 'Adagrad', () => `lrDecay must be >= 0, got ${g.lrDecay}`);
    check(g.weightDecay >= 0, 'Adagrad', () => `weightDecay must be >= 0, got ${g.weightDecay}`);
    check(
      g.initialAccumulatorValue >= 0,
      'Adagrad',
      () => `initialAccumulatorValue must be >= 0, got ${g.initialAccumulatorValue}`,
    );
    check(g.eps >= 0, 'Adagrad', () => `eps must be >= 0, got ${g.eps}`);
  }

  protected initState(p: Tensor, g: ParamGroup<AdagradOptions>): AdagradState {
    return { step: 0, sum: fullLike(p, g.initialAccumulatorValue) };
  }

  protected update(p: Tensor, grad: Tensor, st: AdagradState, g: ParamGroup<AdagradOptions>): void {
    st.step += 1;
    let gr = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) gr = gr.add(p, g.weightDecay);
    const clr = g.lr / (1 + (st.step - 1) * g.lrDecay);
    st.sum.add_(gr.mul(gr));
    const std = st.sum.sqrt().add_(g.eps);
    p.add_(gr.div(std), -clr);
  }
}
