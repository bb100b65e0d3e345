/** Differential privacy: the RDP accountant, DP-SGD (makePrivate) and encryption at rest. */
export {
  type AccountantEntry,
  type AccountantOptions,
  getNoiseMultiplier,
  type NoiseMultiplierOptions,
  RDPAccountant,
} from './accountant.ts';
export {
  computeRdp,
  DEFAULT_ORDERS,
  type PrivacySpent,
  type RdpConversion,
  rdpSampledGaussian,
  rdpToEpsilon,
} from './rdp.ts';
