import { check } from '../core/errors.ts';
import { defaultsOf, type OptionSpecs } from '../core/options.ts';
import { zerosLike } from '../tensor/creation.ts';
import { keep } from '../tensor/lifecycle.ts';
import { maximum } from '../tensor/ops/elementwise.ts';
import { adamStep_ } from '../tensor/ops/updates.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type GroupOptions, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.ts';

export interface AdamOptions extends GroupOptions {
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

interface AdamState {
  [k: string]: Tensor | number | undefined;
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq?: Tensor;
}

/**
 * Adam (torch.optim.Adam): weight decay is added to the gradient (L2), `amsgrad` keeps the running maximum of
 * the second moment. AdamW below differs only in decoupled weight decay.
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  /** The options, declared once: constructors, `getOptimizer` and the CLI's YAML schema read them. */
  static readonly options: OptionSpecs = {
    lr: { type: 'number', gt: 0, default: 1e-3 },
    betas: { type: 'numbers', length: 2, min: 0, lt: 1, default: [0.9, 0.999] },
    eps: { type: 'number', gt: 0, default: 1e-8 },
    weightDecay: { type: 'number', min: 0, default: 0 },
    amsgrad: { type: 'boolean', default: false },
    maximize: { type: 'boolean', default: false },
  };

  get name(): string {
    return 'Adam';
  }
  /** AdamW shrinks the weights directly instead of adding weightDecay * param to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { ...defaultsOf<AdamOptions>(Adam.options), ...opts });
  }

  protected override validate(g: ParamGroup<AdamOptions>): void {
    super.validate(g);
    const [b1, b2] = g.betas;
    check(
      Array.isArray(g.betas) && g.betas.length === 2 && b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1,
      this.name,
      () => `betas must be two numbers in [0, 1), got ${JSON.stringify(g.betas)}`,
    );
    check(g.eps >= 0, this.name, () => `eps must be >= 0, got ${g.eps}`);
    check(g.weightDecay >= 0, this.name, () => `weightDecay must be >= 0, got ${g.weightDecay}`);
  }

  protected initState(p: Tensor, g: ParamGroup<AdamOptions>): AdamState {
    const st: AdamState = { step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p) };
    if (g.amsgrad) st.maxExpAvgSq = zerosLike(p);
    return st;
  }

  protected update(p: Tensor, grad: Tensor, st: AdamState, g: ParamGroup<AdamOptions>): void {
    let gr = g.maximize ? grad.neg() : grad;
    st.step += 1;
    // Ordering follows torch: AdamW decays the weights before the moments are updated.
    if (this.decoupled) p.mul_(1 - g.lr * g.weightDecay);
    else if (g.weightDecay !== 0) gr = gr.add(p, g.weightDecay);
    const [b1, b2] = g.betas;
    if (!g.amsgrad) {
      // One fused pass where the backend has it; adamStep_'s fallback is this same arithmetic.
      adamStep_(p, gr, st.expAvg, st.expAvgSq, {
        beta1: b1,
        beta2: b2,
        eps: g.eps,
        bc2: Math.sqrt(1 - b2 ** st.step),
        stepSize: g.lr / (1 - b1 ** st.step),
      });
      return;
    }
    st.expAvg.mul_(b1).add_(gr, 1 - b1);
    st.expAvgSq.mul_(b2).add_(gr.mul(gr), 1 - b2);
    const stepSize = g.lr / (1 - b1 ** st.step);
    const bc2Sqrt = Math.sqrt(1 - b2 ** st.step);
    let second = st.expAvgSq;
    if (g.amsgrad) {
      // A group may switch amsgrad on after its state was created (loadStateDict of an older run).
      st.maxExpAvgSq ??= keep(zerosLike(p));
      st.maxExpAvgSq.copy_(maximum(st.maxExpAvgSq, st.expAvgSq));
      second = st.maxExpAvgSq;
    }
    const denom = second.sqrt().div(bc2Sqrt).add_(g.eps);
    p.add_(st.expAvg.div(denom), -stepSize);
  }
}

/** AdamW (torch.optim.AdamW): Adam with decoupled weight decay, default weightDecay 0.01. */
export class AdamW extends Adam {
  override get name(): string {
    return 'AdamW';
  }
  protected override readonly decoupled: boolean = true;
  static override readonly options: OptionSpecs = {
    ...Adam.options,
    weightDecay: { type: 'number', min: 0, default: 1e-2 },
  };

  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: AdamW.options.weightDecay!.default as number, ...opts });
  }
}
