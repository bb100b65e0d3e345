import type { DType, TypedArray } from '../core/dtype.ts';
import type { Backend } from '../kernels/backend.ts';

/**
 * A buffer shared by a tensor and its views, reference-counted so that a backend that keeps data in
 * its own memory (wasm) gets it back deterministically when the last view is disposed.
 */
export class Storage {
  data: TypedArray | null;
  refs = 0;
  constructor(
    data: TypedArray,
    readonly dtype: DType,
    readonly backend: Backend,
  ) {
    this.data = data;
    memoryStats.live++;
    memoryStats.allocated++;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0 || this.data === null) return;
    this.backend.free(this.data);
    this.data = null;
    memoryStats.live--;
  }
}

/** Counts of engine buffers: `live` must come back to its baseline after a scoped training step. */
export const memoryStats = { live: 0, allocated: 0 };
