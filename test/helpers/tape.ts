import type { Tensor } from '../../src/index.ts';

/** Every op name recorded on the tape below `t` (which gradient rules a backward through t will use). */
export function tapeOps(roots: readonly Tensor[]): Set<string> {
  const seen = new Set<Tensor>();
  const ops = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.gradFn === null) continue;
    ops.add(t.gradFn.op);
    stack.push(...t.gradFn.inputs);
  }
  return ops;
}
