// Prebuilt models, registered with nn's layer registry so checkpoints and run configs can rebuild them by name.
export { LstmTextClassifier, type LstmTextClassifierOptions } from './lstm-text-classifier.ts';
export {
  gatherLastReal,
  keyPaddingMask,
  lastRealPositions,
  maskedMeanPool,
  meanPoolWeights,
} from './masking.ts';
export { SimpleCnn, type SimpleCnnOptions } from './simple-cnn.ts';
export {
  TransformerTextClassifier,
  type TransformerTextClassifierOptions,
} from './transformer-text-classifier.ts';
export {
  ConvVae,
  type ConvVaeOptions,
  gaussianKl,
  unpackVae,
  type VaeLossOptions,
  type VaeParts,
  type VaeReconstruction,
  vaeElbo,
} from './vae.ts';
