export { apiKeyChecker } from './auth.ts';
export {
  Batcher,
  type BatcherHooks,
  type BatchingOptions,
  DEFAULT_BATCHING,
  ItemFailure,
} from './batcher.ts';
export { ServeError } from './errors.ts';
export { ServerMetrics } from './metrics.ts';
export {
  DATATYPES,
  type Datatype,
  isBatchable,
  type RecordPrediction,
  type ServedModel,
  type TensorData,
  type TensorMap,
  type TensorSpec,
  type TensorValue,
} from './model.ts';
export { type LoadOptions, ModelRepository, ModelVersion } from './repository.ts';
export { servedModelFromSaved } from './saved-model.ts';
export {
  createServer,
  type InferenceServer,
  type ListenOptions,
  type ServeOptions,
  type ServerOptions,
  serve,
  type TlsOptions,
} from './server.ts';
