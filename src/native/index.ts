/**
 * The native engine: whole forward passes and whole training steps as ONNX graphs on ONNX Runtime
 * (onnxruntime-node, an optional dependency loaded on first use). See docs/decisions/native-backend.md.
 */
export { CompiledModel, type CompileOptions, compile } from './compile.ts';
export { type NativeStatus, nativeStatus } from './ort.ts';
export { defaultThreads, PROVIDERS, type Provider, type SessionOptions } from './session.ts';
export { NATIVE_LOSSES, type NativeLoss } from './train-loss.ts';
export { trainRuleNames } from './train-rules.ts';
export { type TrainStep, type TrainStepOptions, trainStep } from './train-step.ts';
