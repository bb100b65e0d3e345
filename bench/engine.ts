/** Which TensorScript backend a benchmark process runs on, once its thread pool is up. */
import * as ts from '../src/index.ts';

export interface EngineContext {
  [k: string]: string | number;
  framework: string;
  backend: string;
  threads: number;
}

interface Pooled {
  ready?: () => Promise<void>;
  threads?: number;
  flavor?: string;
}

/**
 * Selects the backend named by TENSORSCRIPT_BACKEND (default: the default one, wasm when it loads) and
 * waits for its worker pool, so no timed window runs while workers are still starting. The thread count
 * comes from TENSORSCRIPT_THREADS, read by the wasm backend when it is created.
 */
export async function engineContext(): Promise<EngineContext> {
  const name = process.env.TENSORSCRIPT_BACKEND;
  if (name !== undefined && name !== '') ts.setBackend(name);
  const be = ts.getBackend() as ts.Backend & Pooled;
  if (typeof be.ready === 'function') await be.ready();
  const ctx: EngineContext = {
    framework: 'tensorscript',
    backend: be.name,
    threads: typeof be.threads === 'number' ? be.threads : 1,
  };
  if (typeof be.flavor === 'string') ctx.flavor = be.flavor;
  return ctx;
}
