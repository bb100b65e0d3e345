/**
 * TensorScript's public API: everything users and the CLI/server import comes from here.
 * Importing it registers the reference backend (and faster ones as they load) and every gradient rule.
 */
import './autograd/grads/index.ts';
import './backends/ref/index.ts';
import './backends/wasm/index.ts';

export * as compress from './compress/index.ts';
export * as data from './data/index.ts';
export * as distill from './distill/index.ts';
export * as explain from './explain/index.ts';
export * as federated from './federated/index.ts';
export * as io from './io/index.ts';
export * as models from './models/index.ts';
export * as monitor from './monitor/index.ts';
export * as native from './native/index.ts';
export * as onnx from './onnx/index.ts';
export * from './portable-api.ts';
export * as privacy from './privacy/index.ts';
// Node only for now: their weight storage goes through io/safetensors.ts, which imports node:path (not shimmed
// in the browser bundle).
export * as prune from './prune/index.ts';
export * as quant from './quant/index.ts';
export * from './report/index.ts';
export * as saving from './saving/index.ts';
export * as serving from './serve/index.ts';
export * as tracking from './tracking/index.ts';
export * as train from './train/index.ts';
