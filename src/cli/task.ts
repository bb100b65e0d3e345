// Target encoding and output transforms per loss live in the library (src/saving/task.ts).
import * as ts from '../index.ts';

export const {
  classProbabilities,
  isRegressionLoss,
  lossName,
  outputTransform,
  predictedClass,
  scoresFor,
  targetKind,
  targetTensor,
  toOutputs,
} = ts.saving;
export type TargetKind = ts.saving.TargetKind;
export type OutputTransform = ts.saving.OutputTransform;
export type Outputs = ts.saving.Outputs;
