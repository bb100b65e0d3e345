import { registerKernel } from '../../kernels/kernel-registry.ts';

// The reference reductions over a contiguous [outer, reduce, inner] buffer, NaN-propagating as torch.

registerKernel({
  name: 'reduce',
  backend: 'ref',
  fn: ({ inputs: { x }, outputs: { out }, attrs: { op, outer, reduce: red, inner } }) => {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let base = o * red * inner + i;
        let acc: number;
        if (op === 'sum') {
          acc = 0;
          for (let r = 0; r < red; r++, base += inner) acc += x[base]!;
        } else if (op === 'prod') {
          acc = 1;
          for (let r = 0; r < red; r++, base += inner) acc *= x[base]!;
        } else if (op === 'max') {
          acc = Number.NEGATIVE_INFINITY;
          for (let r = 0; r < red; r++, base += inner) {
            const v = x[base]!;
            if (v > acc || v !== v) acc = v;
            if (acc !== acc) break;
          }
        } else {
          acc = Number.POSITIVE_INFINITY;
          for (let r = 0; r < red; r++, base += inner) {
            const v = x[base]!;
            if (v < acc || v !== v) acc = v;
            if (acc !== acc) break;
          }
        }
        out[o * inner + i] = acc;
      }
    }
  },
});

registerKernel({
  name: 'argReduce',
  backend: 'ref',
  fn: ({ inputs: { x }, outputs: { out }, attrs: { op, outer, reduce: red, inner } }) => {
    const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * red * inner + i;
        let best = x[base]!;
        let bi = 0;
        for (let r = 1; r < red && best === best; r++) {
          const v = x[base + r * inner]!;
          // NaN counts as the extreme, as in torch.
          if (better(v, best) || v !== v) {
            best = v;
            bi = r;
          }
        }
        out[o * inner + i] = bi;
      }
    }
  },
});
