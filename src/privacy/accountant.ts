/**
 * The RDP accountant (Opacus' RDPAccountant): it records every step's (noise multiplier, sampling rate) and
 * reports (epsilon, delta) at any time; `getNoiseMultiplier` inverts it for a target epsilon.
 */
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { computeRdp, DEFAULT_ORDERS, type PrivacySpent, type RdpConversion, rdpToEpsilon } from './rdp.ts';

export interface AccountantOptions {
  /** RDP orders to optimise over (default DEFAULT_ORDERS). */
  orders?: readonly number[];
  /** RDP -> (epsilon, delta) conversion (default 'improved'). */
  conversion?: RdpConversion;
}
const ACCOUNTANT_KEYS = optionKeys<AccountantOptions>({ orders: true, conversion: true });

/** One run of identical steps. */
export interface AccountantEntry {
  noiseMultiplier: number;
  sampleRate: number;
  steps: number;
}

export class RDPAccountant {
  /** Runs of identical steps, oldest first (consecutive equal steps are merged). */
  readonly history: AccountantEntry[] = [];
  readonly orders: readonly number[];
  readonly conversion: RdpConversion;

  constructor(opts: AccountantOptions = {}) {
    checkOptionKeys('RDPAccountant', opts, ACCOUNTANT_KEYS);
    this.orders = opts.orders ?? DEFAULT_ORDERS;
    this.conversion = opts.conversion ?? 'improved';
    check(
      this.orders.length > 0 && this.orders.every((a) => a > 1),
      'RDPAccountant',
      () => `orders must be numbers > 1, got [${this.orders.join(', ')}]`,
    );
    check(
      this.conversion === 'improved' || this.conversion === 'classical',
      'RDPAccountant',
      () => `conversion must be 'improved' or 'classical', got '${String(this.conversion)}'`,
    );
  }

  /** Records one step of the sampled Gaussian mechanism. */
  step(noiseMultiplier: number, sampleRate: number): void {
    const last = this.history[this.history.length - 1];
    if (last !== undefined && last.noiseMultiplier === noiseMultiplier && last.sampleRate === sampleRate)
      last.steps++;
    else this.history.push({ noiseMultiplier, sampleRate, steps: 1 });
  }

  /** Total steps recorded. */
  get steps(): number {
    return this.history.reduce((s, h) => s + h.steps, 0);
  }

  /** The guarantee so far for `delta`, with the best order. */
  getPrivacySpent(delta: number): PrivacySpent {
    return this.spentWith(delta, []);
  }

  /** The epsilon after `steps` more steps of (noiseMultiplier, sampleRate): to stop before a budget is passed. */
  epsilonAfter(delta: number, more: AccountantEntry): number {
    return this.spentWith(delta, [more]).epsilon;
  }

  private spentWith(delta: number, extra: readonly AccountantEntry[]): PrivacySpent {
    const runs = [...this.history, ...extra].filter((h) => h.steps > 0);
    if (runs.length === 0) return { epsilon: 0, bestOrder: Number.NaN };
    const total = this.orders.map(() => 0);
    for (const h of runs) {
      const r = this.rdpOfOneStep(h.noiseMultiplier, h.sampleRate);
      r.forEach((v, i) => {
        total[i]! += v * h.steps;
      });
    }
    return rdpToEpsilon(this.orders, total, delta, this.conversion);
  }

  /** One step's RDP per order, cached: training asks for epsilon every step with the same (sigma, q). */
  private readonly cache = new Map<string, number[]>();
  private rdpOfOneStep(sigma: number, q: number): number[] {
    const key = `${sigma}/${q}`;
    let r = this.cache.get(key);
    if (r === undefined) {
      r = computeRdp(q, sigma, 1, this.orders);
      this.cache.set(key, r);
    }
    return r;
  }

  getEpsilon(delta: number): number {
    return this.getPrivacySpent(delta).epsilon;
  }

  /** JSON-serialisable state, so a resumed run continues the count (checkpoints). */
  stateDict(): { history: AccountantEntry[] } {
    return { history: this.history.map((h) => ({ ...h })) };
  }

  loadStateDict(sd: { history: readonly AccountantEntry[] }): void {
    this.history.length = 0;
    for (const h of sd.history) this.history.push({ ...h });
  }
}

export interface NoiseMultiplierOptions extends AccountantOptions {
  targetEpsilon: number;
  targetDelta: number;
  sampleRate: number;
  /** Either epochs (steps = round(epochs / sampleRate)) or steps. */
  epochs?: number;
  steps?: number;
  /** Stop bisecting once the epsilon is within this of the target (Opacus' default 0.01). */
  epsilonTolerance?: number;
}
const NOISE_KEYS = optionKeys<NoiseMultiplierOptions>({
  targetEpsilon: true,
  targetDelta: true,
  sampleRate: true,
  epochs: true,
  steps: true,
  epsilonTolerance: true,
  orders: true,
  conversion: true,
});

/**
 * The smallest noise multiplier (to the tolerance) whose epsilon after the given steps is <= targetEpsilon:
 * doubles an upper bound, then bisects (as Opacus' get_noise_multiplier). The returned sigma always meets
 * the target; it is at most `epsilonTolerance` in epsilon above the exact one.
 */
export function getNoiseMultiplier(opts: NoiseMultiplierOptions): number {
  const op = 'privacy.getNoiseMultiplier';
  checkOptionKeys(op, opts, NOISE_KEYS);
  const { targetEpsilon, targetDelta, sampleRate } = opts;
  check(targetEpsilon > 0, op, () => `targetEpsilon must be > 0, got ${targetEpsilon}`);
  check(sampleRate > 0 && sampleRate <= 1, op, () => `sampleRate must be in (0, 1], got ${sampleRate}`);
  check(
    (opts.epochs === undefined) !== (opts.steps === undefined),
    op,
    () => 'give exactly one of epochs and steps',
  );
  const steps = opts.steps ?? Math.round(opts.epochs! / sampleRate);
  check(Number.isInteger(steps) && steps > 0, op, () => `steps must be a positive integer, got ${steps}`);
  const tol = opts.epsilonTolerance ?? 0.01;
  const orders = opts.orders ?? DEFAULT_ORDERS;
  const eps = (sigma: number) =>
    rdpToEpsilon(orders, computeRdp(sampleRate, sigma, steps, orders), targetDelta, opts.conversion).epsilon;
  let lo = 0;
  let hi = 10;
  let epsHi = eps(hi);
  while (epsHi > targetEpsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) fail(op, `no noise multiplier reaches epsilon ${targetEpsilon} at delta ${targetDelta}`);
    epsHi = eps(hi);
  }
  while (targetEpsilon - epsHi > tol) {
    const mid = (lo + hi) / 2;
    const e = eps(mid);
    if (e < targetEpsilon) {
      hi = mid;
      epsHi = e;
    } else lo = mid;
    if (hi - lo < 1e-9) break;
  }
  return hi;
}
