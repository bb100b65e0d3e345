/** torch.nn in camelCase: Module, Parameter, containers, layers, losses and initialisers. */
export * from './containers.ts';
export * as init from './init.ts';
export * from './layers/linear.ts';
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
export { Module, moduleFromConfig, moduleToConfig, registeredLayers, registerLayer } from './module.ts';
export { Parameter } from './parameter.ts';
