/**
 * TensorScript in the browser (the `browser` export condition; bundled to dist/bundle/tensorscript.js by
 * scripts/build-browser.mjs): tensors, autograd, nn, optim, functional and metrics, with the reference backend
 * and the wasm backend. Node-only areas (files, the CLI, serving, reports, ONNX/native, data readers) are not
 * exported. The wasm kernels load with `await ts.init()` (fetched next to the bundle, or bytes/URL passed in);
 * the backend runs on a Web Worker pool when the page is cross-origin isolated and on one thread otherwise - see
 * backends/wasm/browser.ts, and `wasmInfo()` for which.
 */
import './autograd/grads/index.ts';
import './backends/ref/index.ts';

export { type BrowserWasmInfo, init, wasmInfo } from './backends/wasm/browser.ts';
export * from './portable-api.ts';
