import { registerBackend } from '../../kernels/registry.ts';
import { WasmBackend } from './backend.ts';

export { defaultThreads, WasmBackend, type WasmBackendOptions } from './backend.ts';
export { type KernelFlavor, relaxedSimdSupported } from './module.ts';

// Above the reference backend (priority 0): the default in Node whenever it loads.
registerBackend('wasm', () => new WasmBackend(), 10);
