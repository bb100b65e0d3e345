/** Federated learning: coordinator and clients over HTTP, FedAvg/FedProx, secure aggregation, partitions. */
export { type ClientData, type ClientOptions, runClient } from './client.ts';
export {
  Coordinator,
  type CoordinatorEvent,
  type CoordinatorOptions,
  type RoundLog,
} from './coordinator.ts';
export { dirichlet, dirichletSplit } from './partition.ts';
export {
  DEFAULT_SCALE,
  decode,
  encode,
  generateKeys,
  keystream,
  maskUpdate,
  type Peer,
  pairSeed,
  revealSeeds,
  type SecAggKeys,
  unmaskSum,
} from './secure-agg.ts';
export { type SimulateOptions, type SimulationResult, simulate } from './simulate.ts';
export { flatWeights, setFlatWeights } from './wire.ts';
