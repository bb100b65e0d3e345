import { isGradEnabled } from '../../autograd/node.ts';
import { shapesEqual } from '../../core/shape.ts';
import { tryKernel } from '../../kernels/kernel-registry.ts';
import type { Tensor } from '../tensor.ts';

/**
 * In-place optimizer updates (for src/optim): one fused kernel pass per parameter on backends with
 * an sgdMomentum / adam kernel, else the composite of in-place tensor ops below, which specifies the
 * result (the fused kernels round every step the same way, so both give the same float32 bits).
 */

/** p, and every other tensor, contiguous with p's shape and dtype; and no autograd recording around. */
function fusable(p: Tensor, others: readonly Tensor[]): boolean {
  if (isGradEnabled() || !p.isContiguous()) return false;
  return others.every((t) => t.dtype === p.dtype && shapesEqual(t.shape, p.shape) && t.isContiguous());
}

/** buf = buf*momentum + d*(1-dampening); p += buf*(-lr)  (torch.optim.SGD's momentum step after the first). */
export function sgdMomentumStep_(
  p: Tensor,
  d: Tensor,
  buf: Tensor,
  opts: { lr: number; momentum: number; dampening: number },
): void {
  if (
    fusable(p, [d, buf]) &&
    tryKernel('sgdMomentum', {
      inputs: { d: d.data },
      outputs: { p: p.data, buf: buf.data },
      attrs: { momentum: opts.momentum, dampening: opts.dampening, lr: opts.lr },
    })
  )
    return;
  buf.mul_(opts.momentum).add_(d, 1 - opts.dampening);
  p.add_(buf, -opts.lr);
}

export interface AdamStepOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** sqrt(1 - beta2^step) */
  bc2: number;
  /** lr / (1 - beta1^step) */
  stepSize: number;
}

/**
 * m = m*b1 + g*(1-b1); v = v*b2 + (g*g)*(1-b2); p += (m / (sqrt(v)/bc2 + eps)) * (-stepSize)
 * (torch.optim.Adam without amsgrad).
 */
export function adamStep_(p: Tensor, g: Tensor, m: Tensor, v: Tensor, opts: AdamStepOptions): void {
  if (
    fusable(p, [g, m, v]) &&
    tryKernel('adam', { inputs: { g: g.data }, outputs: { p: p.data, m: m.data, v: v.data }, attrs: opts })
  )
    return;
  m.mul_(opts.beta1).add_(g, 1 - opts.beta1);
  const g2 = g.mul(g);
  v.mul_(opts.beta2).add_(g2, 1 - opts.beta2);
  const root = v.sqrt();
  const denom = root.div(opts.bc2).add_(opts.eps);
  const upd = m.div(denom);
  p.add_(upd, -opts.stepSize);
  for (const t of [g2, root, denom, upd]) t.dispose();
}
