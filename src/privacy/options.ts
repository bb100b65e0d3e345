/**
 * The declared options of DP-SGD, read by the CLI's YAML schema (`privacy:` section, src/cli/config.ts), the
 * callback that stops fit when the budget is spent, and what the model card records.
 */
import type { OptionSpecs } from '../core/options.ts';
import { Callback, type Logs } from '../train/callback.ts';
import type { RDPAccountant } from './accountant.ts';

export const privacyOptions: OptionSpecs = {
  noiseMultiplier: {
    type: 'number',
    min: 0,
    doc: 'sigma: noise std over maxGradNorm (or give targetEpsilon)',
  },
  maxGradNorm: { type: 'number', gt: 0, required: true, doc: 'C: per-sample gradient L2 clipping norm' },
  delta: { type: 'number', gt: 0, lt: 1, default: 1e-5, doc: 'delta of the (epsilon, delta) guarantee' },
  targetEpsilon: {
    type: 'number',
    gt: 0,
    doc: 'stop before passing it; without noiseMultiplier, sigma is chosen for it over the epochs',
  },
  secureMode: { type: 'boolean', default: false, doc: 'sampling and noise from node:crypto' },
};

/** The `privacy:` section once parsed (defaults filled). */
export interface PrivacyConfig {
  noiseMultiplier?: number;
  maxGradNorm: number;
  delta: number;
  targetEpsilon?: number;
  secureMode: boolean;
}

/** What the card and the callback read from a makePrivate result (any of its type parameters). */
export interface PrivacyStatus {
  readonly accountant: RDPAccountant;
  readonly delta: number;
  readonly noiseMultiplier: number;
  readonly maxGradNorm: number;
  readonly sampleRate: number;
  readonly budgetSpent: boolean;
  getEpsilon(): number;
}

/** The guarantee as the model card records it. */
export interface PrivacyRecord {
  [key: string]: number | string;
  mechanism: 'DP-SGD (Poisson-subsampled Gaussian)';
  accountant: 'rdp';
  conversion: 'improved' | 'classical';
  epsilon: number;
  delta: number;
  noiseMultiplier: number;
  maxGradNorm: number;
  sampleRate: number;
  steps: number;
}

export function privacyRecord(p: PrivacyStatus): PrivacyRecord {
  return {
    mechanism: 'DP-SGD (Poisson-subsampled Gaussian)',
    accountant: 'rdp',
    conversion: p.accountant.conversion,
    epsilon: p.getEpsilon(),
    delta: p.delta,
    noiseMultiplier: p.noiseMultiplier,
    maxGradNorm: p.maxGradNorm,
    sampleRate: p.sampleRate,
    steps: p.accountant.steps,
  };
}

/** Adds `epsilon` to each epoch's logs and stops fit once the next step would pass targetEpsilon. */
export class PrivacyBudget extends Callback {
  constructor(private readonly priv: PrivacyStatus) {
    super();
  }

  override onTrainBatchEnd(): void {
    if (this.priv.budgetSpent) this.trainer.stopTraining = true;
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.epsilon = this.priv.getEpsilon();
    if (this.priv.budgetSpent) this.trainer.stopTraining = true;
  }
}
