/** Non-IID partitions for federated simulation: per class, client shares drawn from Dirichlet(alpha). */
import { check } from '../core/errors.ts';
import type { Generator } from '../core/rng.ts';

/** Gamma(k, 1) by Marsaglia and Tsang (k < 1 boosted by U^(1/k)). */
function gamma(k: number, g: Generator): number {
  if (k < 1) return gamma(k + 1, g) * g.uniform() ** (1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = g.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = g.uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Dirichlet(alpha, ..., alpha) draw of `n` shares. */
export function dirichlet(n: number, alpha: number, g: Generator): number[] {
  const x = Array.from({ length: n }, () => gamma(alpha, g));
  const s = x.reduce((a, b) => a + b, 0);
  return x.map((v) => v / s);
}

/**
 * Splits sample indices among `clients` as the usual FL benchmarks do (Hsu et al. 2019): each class's samples
 * are divided by proportions drawn from Dirichlet(alpha); small alpha gives clients few classes each.
 */
export function dirichletSplit(
  labels: ArrayLike<number>,
  clients: number,
  alpha: number,
  g: Generator,
): number[][] {
  check(
    Number.isInteger(clients) && clients > 0,
    'dirichletSplit',
    () => `clients must be a positive integer, got ${clients}`,
  );
  check(alpha > 0, 'dirichletSplit', () => `alpha must be > 0, got ${alpha}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const out: number[][] = Array.from({ length: clients }, () => []);
  for (const idx of [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!)) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = g.int(0, i + 1);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const p = dirichlet(clients, alpha, g);
    let start = 0;
    let acc = 0;
    p.forEach((share, k) => {
      acc += share;
      const end = k === clients - 1 ? idx.length : Math.round(acc * idx.length);
      out[k]!.push(...idx.slice(start, end));
      start = end;
    });
  }
  return out;
}
