/** Scalar test metrics (scikit-learn names) from model outputs: what train, evaluate and the report share. */
import * as metrics from '../metrics/index.ts';
import { type Outputs, predictedClass, scoresFor, type Task } from './task.ts';

export function scoreOutputs(
  task: Task,
  classes: string[] | null,
  yTrue: ArrayLike<number>,
  o: Outputs,
  threshold: number,
): Record<string, number> {
  const yt = Array.from(yTrue);
  if (task === 'regression') {
    const yp = Array.from(o.values);
    return {
      r2: metrics.r2Score(yt, yp),
      mse: metrics.meanSquaredError(yt, yp),
      mae: metrics.meanAbsoluteError(yt, yp),
    };
  }
  const c = classes!.length;
  const yp = Array.from({ length: o.rows }, (_, r) => predictedClass(o, r, c, threshold));
  const out: Record<string, number> = {
    accuracy: metrics.accuracyScore(yt, yp),
    f1_macro: metrics.f1Score(yt, yp, { average: 'macro' }) as number,
  };
  const scores = scoresFor(o, c);
  try {
    out.roc_auc = (
      c === 2
        ? (metrics.rocAucScore(yt, scores as number[]) as number)
        : metrics.rocAucScore(yt, scores as number[][], {
            average: 'macro',
            labels: classes!.map((_, i) => i),
          })
    ) as number;
  } catch {
    // A fold/test part holding one class only has no ROC AUC.
  }
  return out;
}
