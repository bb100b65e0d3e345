/** torch.nn in camelCase: Module, Parameter, containers, layers, losses and initialisers. */
export * from './containers.ts';
export { Add, Concatenate, FunctionalModel } from './functional-model.ts';
export * as init from './init.ts';
export * from './layers/activations.ts';
export * from './layers/attention.ts';
export * from './layers/conv.ts';
export * from './layers/dropout.ts';
export * from './layers/embedding.ts';
export * from './layers/group-norm.ts';
export * from './layers/linear.ts';
export * from './layers/normalization.ts';
export * from './layers/recurrent.ts';
export * from './layers/transformer.ts';
export * from './layers/upsample.ts';
export * from './losses.ts';
export type {
  AnyModule,
  ForwardHook,
  ForwardPreHook,
  HookHandle,
  JsonValue,
  LayerConfig,
  LoadResult,
  ModuleConfig,
} from './module.ts';
export {
  layers as layerRegistry,
  Module,
  moduleFromConfig,
  moduleToConfig,
  registeredLayers,
  registerLayer,
} from './module.ts';
export { Parameter } from './parameter.ts';
export { input, SymbolicTensor } from './symbolic.ts';
