import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** A norm order: a positive number, or 'inf' / Infinity for the max-abs norm. */
export type NormType = number | 'inf';

function gradsOf(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = Symbol.iterator in Object(params) ? [...(params as Iterable<Tensor>)] : [params as Tensor];
  const out: Tensor[] = [];
  for (const p of list) if (p.grad !== null) out.push(p.grad);
  return out;
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient in place so that their joint `normType`-norm is at most
 * `maxNorm`, and returns that joint norm (before clipping) as a number. As in torch, the scale is
 * `min(1, maxNorm / (norm + 1e-6))`. With `errorIfNonfinite`, a NaN or infinite norm throws instead.
 */
export function clipGradNorm_(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType: NormType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): number {
  const p = normType === 'inf' ? Number.POSITIVE_INFINITY : normType;
  check(p > 0, 'clipGradNorm_', () => `normType must be > 0 or 'inf', got ${String(normType)}`);
  check(maxNorm >= 0, 'clipGradNorm_', () => `maxNorm must be >= 0, got ${maxNorm}`);
  const grads = gradsOf(params);
  if (grads.length === 0) return 0;
  return scope(() =>
    noGrad(() => {
      // Per-tensor norms in the gradient's precision, combined in double and rounded like torch's float32 stack.
      const norms = grads.map((g) => {
        if (p === Number.POSITIVE_INFINITY) return g.size === 0 ? 0 : g.abs().amax().item();
        if (p === 1) return g.abs().sum().item();
        if (p === 2) return Math.sqrt(g.mul(g).sum().item());
        return g.abs().pow(p).sum().item() ** (1 / p);
      });
      let total: number;
      if (p === Number.POSITIVE_INFINITY) total = Math.max(...norms);
      else if (p === 1) total = norms.reduce((a, b) => a + b, 0);
      else total = norms.reduce((a, b) => a + b ** p, 0) ** (1 / p);
      if (grads[0]!.dtype === 'float32') total = Math.fround(total);
      if (opts.errorIfNonfinite && !Number.isFinite(total))
        fail(
          'clipGradNorm_',
          `the total norm of order ${String(normType)} of the gradients is ${total}; set errorIfNonfinite false to clip anyway`,
        );
      const coef = Math.min(maxNorm / (total + 1e-6), 1);
      for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient element into [-clipValue, clipValue] in place. */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  check(clipValue >= 0, 'clipGradValue_', () => `clipValue must be >= 0, got ${clipValue}`);
  scope(() =>
    noGrad(() => {
      for (const g of gradsOf(params)) g.clamp_(-clipValue, clipValue);
    }),
  );
}
