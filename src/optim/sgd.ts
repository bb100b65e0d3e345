import { check } from '../core/errors.ts';
import { defaultsOf, type OptionSpecs } from '../core/options.ts';
import { keep } from '../tensor/lifecycle.ts';
import { sgdMomentumStep_ } from '../tensor/ops/updates.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type GroupOptions, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.ts';

export interface SGDOptions extends GroupOptions {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

interface SGDState {
  [k: string]: Tensor | number | undefined;
  momentumBuffer?: Tensor;
}

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay, exactly as
 * torch.optim.SGD: the momentum buffer starts as the first (decayed) gradient, not as zeros.
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  /** The options, declared once: constructors, `getOptimizer` and the CLI's YAML schema read them. */
  static readonly options: OptionSpecs = {
    lr: { type: 'number', gt: 0, doc: 'learning rate (required in code; 0.01 by name, as Keras)' },
    momentum: { type: 'number', min: 0, default: 0 },
    dampening: { type: 'number', min: 0, default: 0 },
    weightDecay: { type: 'number', min: 0, default: 0 },
    nesterov: { type: 'boolean', default: false },
    maximize: { type: 'boolean', default: false },
  };

  get name(): string {
    return 'SGD';
  }

  constructor(params: ParamsInput<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    super(params, { ...defaultsOf<Omit<SGDOptions, 'lr'>>(SGD.options), ...opts });
  }

  protected override validate(g: ParamGroup<SGDOptions>): void {
    super.validate(g);
    check(g.momentum >= 0, 'SGD', () => `momentum must be >= 0, got ${g.momentum}`);
    check(g.weightDecay >= 0, 'SGD', () => `weightDecay must be >= 0, got ${g.weightDecay}`);
    check(
      !g.nesterov || (g.momentum > 0 && g.dampening === 0),
      'SGD',
      () =>
        `nesterov momentum needs momentum > 0 and dampening 0, got momentum ${g.momentum}, dampening ${g.dampening}`,
    );
  }

  protected initState(): SGDState {
    return {};
  }

  protected update(p: Tensor, grad: Tensor, st: SGDState, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = st.momentumBuffer;
      if (buf === undefined) {
        buf = keep(d.clone());
        st.momentumBuffer = buf;
      } else if (!g.nesterov) {
        // One fused pass where the backend has it (same arithmetic as below).
        sgdMomentumStep_(p, d, buf, { lr: g.lr, momentum: g.momentum, dampening: g.dampening });
        return;
      } else buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}
