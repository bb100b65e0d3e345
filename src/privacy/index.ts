/** Differential privacy: the RDP accountant, DP-SGD (makePrivate) and encryption at rest. */
export {
  type AccountantEntry,
  type AccountantOptions,
  getNoiseMultiplier,
  type NoiseMultiplierOptions,
  RDPAccountant,
} from './accountant.ts';
export { DPOptimizer, type DPOptimizerOptions } from './dp-optimizer.ts';
export {
  type EncryptionKey,
  type EncryptionOptions,
  generateKey,
  isSealed,
  open,
  resolveKey,
  seal,
} from './encryption.ts';
export { checkSupported, GradSampler, supportedLayers } from './grad-sample.ts';
export { type MakePrivateOptions, makePrivate, type PrivateTraining } from './make-private.ts';
export {
  PrivacyBudget,
  type PrivacyConfig,
  type PrivacyRecord,
  type PrivacyStatus,
  privacyOptions,
  privacyRecord,
} from './options.ts';
export { PoissonLoader, type PoissonLoaderOptions } from './poisson-loader.ts';
export {
  computeRdp,
  DEFAULT_ORDERS,
  type PrivacySpent,
  type RdpConversion,
  rdpSampledGaussian,
  rdpToEpsilon,
} from './rdp.ts';
