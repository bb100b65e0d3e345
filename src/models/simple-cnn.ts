import type { DType } from '../core/dtype.ts';
import { check, fmtShape } from '../core/errors.ts';
import type { Generator } from '../core/rng.ts';
import { cfgDType, cfgNumber, cfgNumbers } from '../nn/config.ts';
import { Sequential } from '../nn/containers.ts';
import { ReLU } from '../nn/layers/activations.ts';
import { Conv2d, Flatten, MaxPool2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface SimpleCnnOptions {
  /** Input channels. Default 1 (MNIST). */
  inChannels?: number;
  /** Input height and width (square images). Default 28. */
  imageSize?: number;
  /** Output channels of each conv-ReLU-maxpool stage. Default [32, 64]. */
  channels?: number[];
  /** Square kernel size of every conv ('valid' convolution, stride 1). Default 3. */
  kernelSize?: number;
  /** Hidden units of the dense layer. Default 128. */
  hidden?: number;
  /** Output classes (logits). Default 10. */
  numClasses?: number;
  dtype?: DType;
  generator?: Generator;
}

/**
 * Images [N, C, H, W] -> class logits [N, numClasses]: for each entry of `channels` a conv (kernelSize,
 * 'valid') -> ReLU -> 2x2 max-pool stage, then Flatten -> Linear(hidden) -> ReLU -> Linear(numClasses).
 * The defaults are the MNIST CNN conv3x3x32-ReLU-maxpool2-conv3x3x64-ReLU-maxpool2-dense128-dense10
 * (28 -> 26 -> 13 -> 11 -> 5, so the dense layer sees 64 * 5 * 5 = 1600 features). Keys as torchvision's:
 * `features.0.weight`, `features.3.weight`, `classifier.1.weight`, `classifier.3.weight`.
 */
export class SimpleCnn extends Module {
  readonly inChannels: number;
  readonly imageSize: number;
  readonly channels: number[];
  readonly kernelSize: number;
  readonly hidden: number;
  readonly numClasses: number;
  readonly features: Sequential;
  readonly classifier: Sequential;

  constructor(opts: SimpleCnnOptions = {}) {
    super();
    this.inChannels = opts.inChannels ?? 1;
    this.imageSize = opts.imageSize ?? 28;
    this.channels = [...(opts.channels ?? [32, 64])];
    this.kernelSize = opts.kernelSize ?? 3;
    this.hidden = opts.hidden ?? 128;
    this.numClasses = opts.numClasses ?? 10;
    check(this.channels.length > 0, 'SimpleCnn', () => 'channels must list at least one conv stage');
    const w = { dtype: opts.dtype, generator: opts.generator };
    const features = new Sequential();
    let size = this.imageSize;
    let inC = this.inChannels;
    for (const c of this.channels) {
      const conv = size - this.kernelSize + 1;
      check(
        conv >= 2,
        'SimpleCnn',
        () =>
          `imageSize ${this.imageSize} is too small for ${this.channels.length} stages of ${this.kernelSize}x${this.kernelSize} conv + 2x2 pool`,
      );
      features.append(new Conv2d(inC, c, this.kernelSize, w));
      features.append(new ReLU());
      features.append(new MaxPool2d(2));
      size = Math.floor(conv / 2);
      inC = c;
    }
    this.features = this.registerModule('features', features);
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(
        new Flatten(),
        new Linear(inC * size * size, this.hidden, w),
        new ReLU(),
        new Linear(this.hidden, this.numClasses, w),
      ),
    );
  }

  forward(x: Tensor): Tensor {
    check(
      x.ndim === 4 &&
        x.shape[1] === this.inChannels &&
        x.shape[2] === this.imageSize &&
        x.shape[3] === this.imageSize,
      'SimpleCnn',
      () =>
        `expected images [N, ${this.inChannels}, ${this.imageSize}, ${this.imageSize}], got ${fmtShape(x.shape)}`,
    );
    return this.classifier.call(this.features.call(x));
  }

  override getConfig(): LayerConfig {
    return {
      inChannels: this.inChannels,
      imageSize: this.imageSize,
      channels: [...this.channels],
      kernelSize: this.kernelSize,
      hidden: this.hidden,
      numClasses: this.numClasses,
      dtype: this.features.at<Conv2d>(0).weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): SimpleCnn {
    const S = 'SimpleCnn';
    return new SimpleCnn({
      inChannels: cfgNumber(S, c, 'inChannels', 1),
      imageSize: cfgNumber(S, c, 'imageSize', 28),
      channels: c.channels === undefined ? [32, 64] : cfgNumbers(S, c, 'channels'),
      kernelSize: cfgNumber(S, c, 'kernelSize', 3),
      hidden: cfgNumber(S, c, 'hidden', 128),
      numClasses: cfgNumber(S, c, 'numClasses', 10),
      dtype: cfgDType(S, c),
    });
  }
}

registerLayer('SimpleCnn', SimpleCnn, SimpleCnn.fromConfig);
