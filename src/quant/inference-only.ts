/**
 * What every int8 layer shares: it is inference-only (no gradient flows through integer kernels), and its
 * state lives in buffers whose in-place loads (Module.loadStateDict copies into them) tell the layer to
 * rebuild what it derived from them (packed weights).
 */
import { isGradEnabled } from '../autograd/node.ts';
import { fail } from '../core/errors.ts';
import { storeAsInt8 } from '../io/safetensors.ts';
import type { Module } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import { Tensor } from '../tensor/tensor.ts';

/** A buffer that calls `onWrite` after `copy_`, the write loadStateDict makes. */
export class WatchedBuffer extends Tensor {
  readonly #onWrite: () => void;

  constructor(src: Tensor, onWrite: () => void) {
    super(src.storage, src.shape, src.strides, src.offset);
    this.#onWrite = onWrite;
  }

  override copy_(src: Tensor): this {
    super.copy_(src);
    this.#onWrite();
    return this;
  }
}

/** An int32 buffer of int8 values (written to safetensors as I8), watched for loads. */
export function int8Buffer(shape: number[], onWrite: () => void): WatchedBuffer {
  const t = tensor(new Int32Array(shape.reduce((a, b) => a * b, 1)), { shape });
  const b = new WatchedBuffer(t, onWrite);
  t.dispose();
  return storeAsInt8(b);
}

/** A float32 buffer, watched for loads. */
export function floatBuffer(shape: number[], onWrite: () => void, fill = 0): WatchedBuffer {
  const t = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), { shape });
  const b = new WatchedBuffer(t, onWrite);
  t.dispose();
  return b;
}

/**
 * Pins the layer to eval mode: `train()` (what fit calls) fails naming the layer, rather than training
 * weights that cannot move. The field is an accessor on the instance, so Module.train's plain assignment
 * reaches it.
 */
export function inferenceOnly(m: Module<never, unknown>, layer: string): void {
  Object.defineProperty(m, 'training', {
    configurable: true,
    enumerable: true,
    get: () => false,
    set: (v: boolean) => {
      if (v)
        fail(
          layer,
          'an int8 quantized layer is inference-only and cannot be trained; fine-tune the fp32 model and quantize it again',
        );
    },
  });
}

/** Refuses an input that would need a gradient: the int8 path records no autograd graph. */
export function checkNoGrad(layer: string, x: Tensor): void {
  if (x.requiresGrad && isGradEnabled())
    fail(
      layer,
      'the input requires grad, but an int8 quantized layer is inference-only (no gradient flows through integer kernels); run it under noGrad() or use the fp32 model',
    );
}
