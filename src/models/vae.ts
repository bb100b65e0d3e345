import { noGrad } from '../autograd/node.ts';
import type { DType } from '../core/dtype.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import type { Generator } from '../core/rng.ts';
import { cfgDType, cfgNumber, cfgNumbers, cfgString } from '../nn/config.ts';
import { Sequential } from '../nn/containers.ts';
import { ReLU } from '../nn/layers/activations.ts';
import { Conv2d, Flatten } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Upsample } from '../nn/layers/upsample.ts';
import { type LayerConfig, Module, registerLayer } from '../nn/module.ts';
import { randn } from '../tensor/creation.ts';
import { cat } from '../tensor/ops/join.ts';
import { binaryCrossEntropyWithLogits } from '../tensor/ops/losses.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** How the decoder's output is read: Bernoulli logits (BCE) or a Gaussian mean (squared error). */
export type VaeReconstruction = 'bce' | 'mse';

export interface ConvVaeOptions {
  /** Input channels. Default 1 (MNIST). */
  inChannels?: number;
  /** Input height and width (square images), divisible by 2 ** channels.length. Default 28. */
  imageSize?: number;
  /** Output channels of each stride-2 encoder conv (the decoder mirrors them). Default [32, 64]. */
  channels?: number[];
  /** Units of the dense layer on each side of the latent code. Default 128. */
  hidden?: number;
  /** Size of the latent code z. Default 2 (a latent map can be drawn directly). */
  latentDim?: number;
  /**
   * 'bce' (default): the decoder gives logits of pixels in [0, 1], the reconstruction term is the summed binary
   * cross-entropy and images are sigmoid(logits). 'mse': the decoder gives the pixels, the term is the summed
   * squared error.
   */
  reconstruction?: VaeReconstruction;
  dtype?: DType;
  /** The generator for the initial weights (default: the process-wide one). */
  generator?: Generator;
  /**
   * The generator of the reparameterisation noise and of `sample`. Default: the process-wide one, which fit's
   * `seed` seeds and checkpoints save, so a resumed run draws the same noise as an uninterrupted one.
   */
  noiseGenerator?: Generator;
}

const VAE_KEYS = optionKeys<ConvVaeOptions>({
  inChannels: true,
  imageSize: true,
  channels: true,
  hidden: true,
  latentDim: true,
  reconstruction: true,
  dtype: true,
  generator: true,
  noiseGenerator: true,
});

/** The parts of a VAE's packed output (see ConvVae.forward). */
export interface VaeParts {
  /** Decoder output [N, C, H, W]: logits for 'bce', pixels for 'mse'. */
  recon: Tensor;
  mu: Tensor;
  logvar: Tensor;
}

export interface VaeLossOptions {
  /** Read the decoder output as logits ('bce', default) or pixels ('mse'). */
  reconstruction?: VaeReconstruction;
  /** Weight of the KL term (beta-VAE). Default 1: the negative ELBO. */
  beta?: number;
}

const LOSS_KEYS = optionKeys<VaeLossOptions>({ reconstruction: true, beta: true });

/**
 * Splits a packed VAE output [N, D + 2L] (decoder output flattened, then mu, then logvar) given the target
 * images [N, ...] it reconstructs, whose size per sample is D.
 */
export function unpackVae(packed: Tensor, target: Tensor): { recon: Tensor; mu: Tensor; logvar: Tensor } {
  const op = 'vaeElbo';
  check(
    packed.ndim === 2 && target.ndim >= 2 && target.shape[0] === packed.shape[0],
    op,
    () =>
      `expects the packed VAE output [N, D + 2L] and the images [N, ...], got ${fmtShape(packed.shape)} and ${fmtShape(target.shape)}`,
  );
  const n = packed.shape[0]!;
  const d = n === 0 ? 0 : target.size / n;
  const rest = packed.shape[1]! - d;
  check(
    rest > 0 && rest % 2 === 0,
    op,
    () =>
      `the packed output has ${packed.shape[1]} columns, which is not ${d} image values plus mu and logvar of one size`,
  );
  const l = rest / 2;
  return {
    recon: packed.narrow(1, 0, d),
    mu: packed.narrow(1, d, l),
    logvar: packed.narrow(1, d + l, l),
  };
}

/** KL(q(z|x) || N(0, I)) per sample [N] for a diagonal Gaussian: -0.5 * sum(1 + logvar - mu^2 - exp(logvar)). */
export function gaussianKl(mu: Tensor, logvar: Tensor): Tensor {
  return logvar.add(1).sub(mu.square()).sub(logvar.exp()).sum(1).mul(-0.5);
}

/**
 * The negative ELBO per sample [N] as a trainer loss `(packed, images)`: the reconstruction term summed over the
 * pixels (BCE with logits, or squared error) plus beta * KL. The trainer averages it over the batch, so
 * `evaluate(x, x).loss` is the mean negative ELBO per image in nats.
 */
export function vaeElbo(opts: VaeLossOptions = {}): (packed: Tensor, images: Tensor) => Tensor {
  checkOptionKeys('vaeElbo', opts, LOSS_KEYS);
  const rec = opts.reconstruction ?? 'bce';
  const beta = opts.beta ?? 1;
  check(
    rec === 'bce' || rec === 'mse',
    'vaeElbo',
    () => `reconstruction must be 'bce' or 'mse', got ${String(rec)}`,
  );
  check(
    Number.isFinite(beta) && beta >= 0,
    'vaeElbo',
    () => `beta must be a non-negative number, got ${beta}`,
  );
  const fn = (packed: Tensor, images: Tensor): Tensor => {
    const { recon, mu, logvar } = unpackVae(packed, images);
    const x = images.reshape(recon.shape);
    const xf = x.dtype === recon.dtype ? x : x.to(recon.dtype);
    const perPixel =
      rec === 'bce' ? binaryCrossEntropyWithLogits(recon, xf, { reduction: 'none' }) : recon.sub(xf).square();
    const kl = gaussianKl(mu, logvar);
    return perPixel.sum(1).add(beta === 1 ? kl : kl.mul(beta));
  };
  Object.defineProperty(fn, 'name', { value: 'vae_elbo' });
  return fn;
}

/**
 * A convolutional variational autoencoder (Kingma & Welling) for [N, C, S, S] images.
 *
 * Encoder: per entry of `channels` a 3x3 stride-2 conv (padding 1) -> ReLU, then Flatten -> Linear(hidden) -> ReLU,
 * and two heads `fcMu`, `fcLogvar` (Linear(latentDim)). Decoder: Linear(hidden) -> ReLU -> Linear(features) ->
 * ReLU, reshape to the last conv's [C, S / 2^k, S / 2^k], then per stage a 2x nearest upsample -> 3x3 conv
 * (padding 1), with ReLU between stages and none after the last (logits or pixels). The defaults on MNIST:
 * 28 -> 14 -> 7 with 32 and 64 channels, 3,136 features, hidden 128, a 2-D latent code.
 *
 * `forward(x)` samples z = mu + exp(logvar / 2) * eps and returns one tensor [N, D + 2L]: the decoder output
 * flattened (D = C * S * S), then mu, then logvar. Packing keeps the VAE a single-output module, so the trainer
 * (fit, evaluate, checkpoints, callbacks) takes it with `loss: vae.loss()` and `fit(x, x)`; `unpack` splits it.
 * Keys as a torch module with the same attribute names: `encoder.0.weight`, `fcMu.weight`, `decoder.0.weight`, ...
 */
export class ConvVae extends Module {
  readonly inChannels: number;
  readonly imageSize: number;
  readonly channels: number[];
  readonly hidden: number;
  readonly latentDim: number;
  readonly reconstruction: VaeReconstruction;
  readonly noiseGenerator: Generator | undefined;
  readonly encoder: Sequential;
  readonly fcMu: Linear;
  readonly fcLogvar: Linear;
  readonly decoderInput: Sequential;
  readonly decoder: Sequential;
  /** [C, S, S] of the last encoder conv, where the decoder starts. */
  readonly #bottleneck: [number, number, number];

  constructor(opts: ConvVaeOptions = {}) {
    checkOptionKeys('ConvVae', opts, VAE_KEYS);
    super();
    const S = 'ConvVae';
    this.inChannels = opts.inChannels ?? 1;
    this.imageSize = opts.imageSize ?? 28;
    this.channels = [...(opts.channels ?? [32, 64])];
    this.hidden = opts.hidden ?? 128;
    this.latentDim = opts.latentDim ?? 2;
    this.reconstruction = opts.reconstruction ?? 'bce';
    this.noiseGenerator = opts.noiseGenerator;
    for (const [k, v] of [
      ['inChannels', this.inChannels],
      ['imageSize', this.imageSize],
      ['hidden', this.hidden],
      ['latentDim', this.latentDim],
      ...this.channels.map((c) => ['channels', c] as const),
    ] as const)
      check(Number.isInteger(v) && v > 0, S, () => `${k} must be a positive integer, got ${v}`);
    check(this.channels.length > 0, S, () => 'channels must list at least one conv stage');
    check(
      this.reconstruction === 'bce' || this.reconstruction === 'mse',
      S,
      () => `reconstruction must be 'bce' or 'mse', got ${String(this.reconstruction)}`,
    );
    const down = 2 ** this.channels.length;
    check(
      this.imageSize % down === 0,
      S,
      () =>
        `imageSize ${this.imageSize} must be divisible by ${down} (${this.channels.length} stride-2 stages, mirrored by 2x upsampling)`,
    );
    const w = { dtype: opts.dtype, generator: opts.generator };
    const side = this.imageSize / down;
    const last = this.channels[this.channels.length - 1]!;
    const features = last * side * side;
    this.#bottleneck = [last, side, side];

    const encoder = new Sequential();
    let inC = this.inChannels;
    for (const c of this.channels) {
      encoder.append(new Conv2d(inC, c, 3, { ...w, stride: 2, padding: 1 }));
      encoder.append(new ReLU());
      inC = c;
    }
    encoder.append(new Flatten());
    encoder.append(new Linear(features, this.hidden, w));
    encoder.append(new ReLU());
    this.encoder = this.registerModule('encoder', encoder);
    this.fcMu = this.registerModule('fcMu', new Linear(this.hidden, this.latentDim, w));
    this.fcLogvar = this.registerModule('fcLogvar', new Linear(this.hidden, this.latentDim, w));
    this.decoderInput = this.registerModule(
      'decoderInput',
      new Sequential(
        new Linear(this.latentDim, this.hidden, w),
        new ReLU(),
        new Linear(this.hidden, features, w),
        new ReLU(),
      ),
    );
    const decoder = new Sequential();
    const outs = [...this.channels.slice(0, -1).reverse(), this.inChannels];
    let c = last;
    outs.forEach((o, i) => {
      decoder.append(new Upsample(2));
      decoder.append(new Conv2d(c, o, 3, { ...w, padding: 1 }));
      if (i < outs.length - 1) decoder.append(new ReLU());
      c = o;
    });
    this.decoder = this.registerModule('decoder', decoder);
  }

  #checkImages(op: string, x: Tensor): void {
    check(
      x.ndim === 4 &&
        x.shape[1] === this.inChannels &&
        x.shape[2] === this.imageSize &&
        x.shape[3] === this.imageSize,
      op,
      () =>
        `expected images [N, ${this.inChannels}, ${this.imageSize}, ${this.imageSize}], got ${fmtShape(x.shape)}`,
    );
  }

  /** The approximate posterior q(z|x) = N(mu, exp(logvar)): each [N, latentDim]. */
  encode(x: Tensor): { mu: Tensor; logvar: Tensor } {
    this.#checkImages('ConvVae.encode', x);
    const h = this.encoder.call(x);
    return { mu: this.fcMu.call(h), logvar: this.fcLogvar.call(h) };
  }

  /**
   * z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) from `noiseGenerator` (or the given `eps`, for reproducing a
   * draw), so the gradient reaches mu and logvar through a deterministic path.
   */
  reparameterize(mu: Tensor, logvar: Tensor, eps?: Tensor): Tensor {
    const e = eps ?? randn(mu.shape, { dtype: mu.dtype, generator: this.noiseGenerator });
    check(
      e.shape.join() === mu.shape.join(),
      'ConvVae.reparameterize',
      () => `eps has shape ${fmtShape(e.shape)}, expected mu's ${fmtShape(mu.shape)}`,
    );
    return mu.add(logvar.mul(0.5).exp().mul(e));
  }

  /** Decoder output [N, C, S, S] for codes [N, latentDim]: logits ('bce') or pixels ('mse'). */
  decode(z: Tensor): Tensor {
    check(
      z.ndim === 2 && z.shape[1] === this.latentDim,
      'ConvVae.decode',
      () => `expected codes [N, ${this.latentDim}], got ${fmtShape(z.shape)}`,
    );
    const h = this.decoderInput.call(z).reshape([z.shape[0]!, ...this.#bottleneck]);
    return this.decoder.call(h);
  }

  /** Images for codes: sigmoid of the logits for 'bce', the decoder output for 'mse'. */
  decodeImages(z: Tensor): Tensor {
    const out = this.decode(z);
    return this.reconstruction === 'bce' ? out.sigmoid() : out;
  }

  /** The packed output for given noise: [N, D + 2L] = [decode(z) flattened, mu, logvar]. */
  forwardWithNoise(x: Tensor, eps?: Tensor): Tensor {
    const { mu, logvar } = this.encode(x);
    const recon = this.decode(this.reparameterize(mu, logvar, eps));
    return cat([recon.reshape([x.shape[0]!, -1]), mu, logvar], 1);
  }

  /** Samples z from q(z|x) and returns the packed [N, D + 2L] output (see the class comment). */
  forward(x: Tensor): Tensor {
    return this.forwardWithNoise(x);
  }

  /** The packed output's parts, the decoder output back in image shape. */
  unpack(packed: Tensor): VaeParts {
    const n = packed.shape[0]!;
    const d = this.inChannels * this.imageSize * this.imageSize;
    check(
      packed.ndim === 2 && packed.shape[1] === d + 2 * this.latentDim,
      'ConvVae.unpack',
      () => `expected [N, ${d + 2 * this.latentDim}], got ${fmtShape(packed.shape)}`,
    );
    return {
      recon: packed.narrow(1, 0, d).reshape([n, this.inChannels, this.imageSize, this.imageSize]),
      mu: packed.narrow(1, d, this.latentDim),
      logvar: packed.narrow(1, d + this.latentDim, this.latentDim),
    };
  }

  /** This model's negative ELBO as a trainer loss (its reconstruction kind; `beta` weighs the KL term). */
  loss(opts: { beta?: number } = {}): (packed: Tensor, images: Tensor) => Tensor {
    checkOptionKeys('ConvVae.loss', opts, ['beta']);
    return vaeElbo({ reconstruction: this.reconstruction, beta: opts.beta ?? 1 });
  }

  /** Reconstructions of x through the posterior means (no noise, no gradients), as images. */
  reconstruct(x: Tensor): Tensor {
    return noGrad(() => this.decodeImages(this.encode(x).mu));
  }

  /** `n` images decoded from z ~ N(0, I) drawn from `generator` (default: noiseGenerator). */
  sample(n: number, opts: { generator?: Generator } = {}): Tensor {
    checkOptionKeys('ConvVae.sample', opts, ['generator']);
    if (!Number.isInteger(n) || n < 0) fail('ConvVae.sample', `n must be a non-negative integer, got ${n}`);
    const dtype = this.fcMu.weight.dtype;
    return noGrad(() =>
      this.decodeImages(
        randn([n, this.latentDim], { dtype, generator: opts.generator ?? this.noiseGenerator }),
      ),
    );
  }

  override getConfig(): LayerConfig {
    return {
      inChannels: this.inChannels,
      imageSize: this.imageSize,
      channels: [...this.channels],
      hidden: this.hidden,
      latentDim: this.latentDim,
      reconstruction: this.reconstruction,
      dtype: this.fcMu.weight.dtype,
    };
  }

  static fromConfig(c: LayerConfig): ConvVae {
    const S = 'ConvVae';
    return new ConvVae({
      inChannels: cfgNumber(S, c, 'inChannels', 1),
      imageSize: cfgNumber(S, c, 'imageSize', 28),
      channels: c.channels === undefined ? [32, 64] : cfgNumbers(S, c, 'channels'),
      hidden: cfgNumber(S, c, 'hidden', 128),
      latentDim: cfgNumber(S, c, 'latentDim', 2),
      reconstruction: cfgString(S, c, 'reconstruction', ['bce', 'mse'] as const, 'bce'),
      dtype: cfgDType(S, c),
    });
  }
}

registerLayer('ConvVae', ConvVae, ConvVae.fromConfig);
