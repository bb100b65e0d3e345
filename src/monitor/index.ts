// Public API of model monitoring: drift statistics, references from model cards, the server's monitors.
export {
  DRIFT_OPTIONS,
  DriftMonitor,
  type DriftReport,
  type DriftThresholds,
  driftThresholds,
  type FeatureDrift,
  type ObservedPrediction,
} from './drift.ts';
export {
  type CategoricalReference,
  driftReference,
  equalProbabilityEdges,
  type FeatureReference,
  type NumericReference,
  type ReferenceInput,
  referenceCdf,
  toReference,
} from './reference.ts';
export { DriftMonitors, PREDICTION_FEATURE, registerDriftRoute } from './serve-drift.ts';
export { chiSquaredTest, gammaQ, kolmogorovSurvival, ksTest, normalCdf, psi } from './stats.ts';
