import { Tensor } from '../tensor/tensor.ts';

/**
 * A trainable tensor owned by a Module (torch.nn.Parameter). It is a leaf that requires grad (unless
 * asked otherwise) and is `kept`, so the scopes that free a training step's intermediates never free it.
 * It shares storage with the tensor it is made from (as torch does); a non-contiguous source is copied.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const src = data.isContiguous() ? data : data.contiguous();
    super(src.storage, src.shape, src.strides, src.offset);
    this.kept = true;
    if (requiresGrad) this.requiresGrad_(true);
  }

  override toString(): string {
    return `Parameter(shape=[${this.shape.join(',')}], dtype=${this.dtype}${this.requiresGrad ? '' : ', requiresGrad=false'})`;
  }
}
