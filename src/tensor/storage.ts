import type { DType, TypedArray } from '../core/dtype.ts';
import type { Backend } from '../kernels/backend.ts';
import { inScope } from './scope.ts';
import { trackStepStorage } from './step-release.ts';

/**
 * What the FinalizationRegistry holds for a storage's tensors: an indirection, so that a storage whose
 * data has left the backend (see `spill`) stops being held by the registry and is collected normally.
 */
export interface StorageCell {
  s: Storage | null;
}

/**
 * A buffer shared by a tensor and its views, reference-counted so that a backend that keeps data in
 * its own memory (wasm) gets it back deterministically when the last view is disposed.
 */
export class Storage {
  data: TypedArray | null;
  refs = 0;
  /** A kept tensor (parameter, gradient, optimizer state, buffer) uses it: never spilled. */
  pinned = false;
  /** Its data was moved to a garbage-collected array; it no longer counts as an engine buffer. */
  spilled = false;
  readonly cell: StorageCell = { s: this };
  constructor(
    data: TypedArray,
    readonly dtype: DType,
    readonly backend: Backend,
  ) {
    this.data = data;
    memoryStats.live++;
    memoryStats.allocated++;
    if (!inScope()) trackStepStorage(this);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0 || this.data === null) return;
    if (!this.spilled) {
      this.backend.free(this.data);
      memoryStats.live--;
    }
    this.data = null;
  }

  /**
   * Moves the data out of the backend into an ordinary garbage-collected typed array and gives the
   * backend block back. Every tensor on this storage keeps reading and writing the same values (they
   * read `data` through the storage), so this is safe for tensors user code still holds; the ones it
   * dropped are then reclaimed by the JavaScript GC, which, unlike FinalizationRegistry callbacks,
   * also runs inside a long synchronous loop.
   */
  spill(): void {
    const d = this.data;
    if (d === null || this.spilled || this.pinned) return;
    // The reference backend's arrays are already garbage-collected: nothing to copy.
    const copy = this.backend.name === 'ref' ? d : d.slice();
    this.backend.free(d);
    this.data = copy;
    this.spilled = true;
    this.cell.s = null;
    memoryStats.live--;
    memoryStats.spilled++;
  }
}

/**
 * Counts of engine buffers: `live` must come back to its baseline after a scoped training step;
 * `spilled` counts buffers moved out of the backend at a step boundary (see step-release.ts).
 */
export const memoryStats = { live: 0, allocated: 0, spilled: 0 };
