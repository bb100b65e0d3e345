import { arrayFor, type DType, type TypedArray } from '../../core/dtype.ts';
import type { Backend } from '../../kernels/backend.ts';
import './conv.ts';
import './elementwise.ts';
import './gather.ts';
import './matmul.ts';
import './pool.ts';
import './reduce.ts';

/**
 * The reference backend: plain host typed arrays, and kernels in plain TypeScript written for clarity
 * (registered by the modules imported above). It is the specification every other backend is tested
 * against, and the fallback for kernels they lack or decline.
 */
export class RefBackend implements Backend {
  readonly name: string = 'ref';

  alloc(dtype: DType, size: number): TypedArray {
    return arrayFor(dtype, size);
  }

  free(_data: TypedArray): void {
    // Garbage-collected memory: nothing to return.
  }

  read(data: TypedArray, offset: number, length: number): TypedArray {
    return data.slice(offset, offset + length);
  }

  write(data: TypedArray, values: ArrayLike<number>, offset: number): void {
    data.set(values, offset);
  }
}
