/** Gaussian noise for DP-SGD: from the seeded generator (reproducible runs) or from node:crypto (secureMode). */
import { randomFillSync } from 'node:crypto';
import type { Generator } from '../core/rng.ts';

/** Fills `out` with N(0, std^2). */
export function fillGaussian(out: Float32Array | Float64Array, std: number, gen: Generator | 'secure'): void {
  if (gen !== 'secure') {
    for (let i = 0; i < out.length; i++) out[i] = gen.normal() * std;
    return;
  }
  // Box-Muller on 53-bit uniforms from the OS CSPRNG: the seeded xoshiro stream is predictable, which an
  // adversary who knows the seed could use to subtract the noise (Opacus' secure_mode has the same purpose).
  const words = new Uint32Array(4 * Math.ceil(out.length / 2));
  randomFillSync(words);
  const uni = (k: number) => ((words[k]! >>> 5) * 67108864 + (words[k + 1]! >>> 6) + 1) / 9007199254740992; // (0, 1]
  for (let i = 0, k = 0; i < out.length; i += 2, k += 4) {
    const r = Math.sqrt(-2 * Math.log(uni(k)));
    const th = 2 * Math.PI * uni(k + 2);
    out[i] = r * Math.cos(th) * std;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(th) * std;
  }
}

/** Uniform [0, 1) draws from the OS CSPRNG, buffered (secure-mode Poisson sampling). */
export function secureUniform(): { uniform(): number } {
  const buf = new Uint32Array(8192);
  let k = buf.length;
  return {
    uniform(): number {
      if (k + 2 > buf.length) {
        randomFillSync(buf);
        k = 0;
      }
      const v = ((buf[k]! >>> 5) * 67108864 + (buf[k + 1]! >>> 6)) / 9007199254740992;
      k += 2;
      return v;
    },
  };
}
