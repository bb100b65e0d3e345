// Seeded synthetic evaluation data for the report tests: a classifier's probabilities that are good but not perfect.
import { Generator } from '../../src/core/rng.ts';
import type { History } from '../../src/report/index.ts';

export function multiclassData(n: number, k: number, seed = 7): { yTrue: number[]; scores: number[][] } {
  const g = new Generator(seed);
  const yTrue: number[] = [];
  const scores: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = g.int(0, k);
    const logits = Array.from({ length: k }, (_, c) => g.normal() + (c === y ? 1.6 : 0));
    const e = logits.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    yTrue.push(y);
    scores.push(e.map((v) => v / s));
  }
  return { yTrue, scores };
}

export function binaryData(n: number, seed = 11): { yTrue: number[]; scores: number[] } {
  const g = new Generator(seed);
  const yTrue: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = g.uniform() < 0.4 ? 1 : 0;
    yTrue.push(y);
    scores.push(1 / (1 + Math.exp(-(g.normal() * 1.2 + (y ? 1.3 : -1.3)))));
  }
  return { yTrue, scores };
}

export function regressionData(n: number, seed = 3): { yTrue: number[]; yPred: number[] } {
  const g = new Generator(seed);
  const yTrue: number[] = [];
  const yPred: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = g.uniform() * 10;
    yTrue.push(2 * x + 1 + g.normal());
    yPred.push(2 * x + 1.3);
  }
  return { yTrue, yPred };
}

/** A plausible History: loss falling, accuracy rising, validation a little worse. */
export function history(epochs: number, metric = 'accuracy'): History {
  const epoch = Array.from({ length: epochs }, (_, i) => i);
  const loss = epoch.map((e) => 1.2 * Math.exp(-e / 4) + 0.2);
  return {
    epoch,
    history: {
      loss,
      val_loss: loss.map((v, e) => v + 0.05 + 0.01 * e),
      [metric]: loss.map((v) => 1 - v / 1.6),
      [`val_${metric}`]: loss.map((v) => 0.97 - v / 1.5),
    },
  };
}
