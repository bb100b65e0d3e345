// Public API of explanations: gradient attributions (saliency, integrated gradients, per-token) and
// model-agnostic tabular ones (permutation importance, KernelSHAP).
export {
  type Attribution,
  embeddingSplit,
  type Forward,
  type GradientOptions,
  type IGAttribution,
  type IntegratedGradientsOptions,
  integratedGradients,
  saliency,
  tokenAttributions,
} from './gradients.ts';
export { explanationHtml, explanationPng, explanationRows } from './render.ts';
export { type ExplainOptions, explainSaved, type SavedExplanation, typicalRecord } from './saved.ts';
export {
  type FeatureImportance,
  type KernelShapOptions,
  kernelShap,
  type PermutationImportanceOptions,
  permutationImportance,
  type ShapExplanation,
  type TabularRecord,
} from './tabular.ts';
