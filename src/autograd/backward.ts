import { check, fail, fmtShape } from '../core/errors.ts';
import { shapesEqual } from '../core/shape.ts';
import { zeros } from '../tensor/creation.ts';
import { keep } from '../tensor/lifecycle.ts';
import { slice } from '../tensor/ops/views.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { noGrad } from './node.ts';
import { gradRule } from './registry.ts';

/**
 * Reverse-mode differentiation from `root`. Walks the tape in reverse topological order, accumulating
 * gradients per tensor; leaves that require grad get them added into `.grad`. Unless `retainGraph`,
 * each node drops its inputs afterwards so the saved tensors can be freed.
 */
export function backward(root: Tensor, gradient?: Tensor, retainGraph = false): void {
  check(root.requiresGrad, 'backward', () => 'tensor does not require grad and has no grad_fn');
  let seed: Tensor;
  if (gradient === undefined) {
    check(
      root.size === 1,
      'backward',
      () => `grad can be implicitly created only for scalar outputs, got shape ${fmtShape(root.shape)}`,
    );
    seed = noGrad(() => root.onesLike());
  } else {
    check(
      shapesEqual(gradient.shape, root.shape),
      'backward',
      () => `gradient shape ${fmtShape(gradient.shape)} does not match output shape ${fmtShape(root.shape)}`,
    );
    seed = gradient;
  }

  // Topological order by iterative DFS (deep graphs such as unrolled RNNs would overflow recursion).
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const node = t.gradFn;
    if (i === 0) {
      if (visited.has(t)) {
        stack.pop();
        continue;
      }
      visited.add(t);
      if (node?.released)
        fail(
          'backward',
          `trying to backward through the graph a second time (op '${node.op}'); pass retainGraph=true the first time`,
        );
    }
    const inputs = node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const next = inputs[i]!;
      if (next.requiresGrad && !visited.has(next)) stack.push([next, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }

  const grads = new Map<Tensor, Tensor>();
  const owned = new Set<Tensor>();
  grads.set(root, seed);
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t);
      // From here g may be handed by a rule to several inputs, so it is no longer safe to update in place.
      owned.delete(g);
      const node = t.gradFn;
      if (node === null) {
        if (t.requiresGrad) accumulate(t, g);
        continue;
      }
      if (node.op === 'slice' && node.inputs[0]!.requiresGrad) {
        // Many slices of one tensor (an RNN reading its time steps) would each make a full-size
        // sliceScatter and be summed pairwise: quadratic. Add each slice's gradient into one buffer.
        const inp = node.inputs[0]!;
        const a = node.attrs as { starts: number[]; steps: number[] };
        const acc = ownedAccumulator(inp, g.dtype);
        const stops = a.starts.map((st, i) => st + (g.shape[i]! - 1) * a.steps[i]! + 1);
        if (g.size > 0) {
          const view = slice(acc, a.starts, stops, a.steps);
          view.addInPlace(g);
          // The view holds a reference on acc's buffer; backward may run outside any scope.
          view.dispose();
        }
      } else {
        const rule = gradRule(node.op);
        if (rule === undefined) fail('backward', `no gradient rule for op '${node.op}'`);
        const inGrads = rule(g, { inputs: node.inputs, out: t, attrs: node.attrs });
        addGrads(node.op, node.inputs, inGrads);
      }
      if (t.retainsGrad) accumulate(t, g);
      if (!retainGraph) {
        node.inputs = [];
        node.released = true;
      }
    }
  });

  /** The input's gradient as a buffer this pass owns (so later contributions can be added in place). */
  function ownedAccumulator(inp: Tensor, dtype: Tensor['dtype']): Tensor {
    const prev = grads.get(inp);
    if (prev !== undefined && owned.has(prev)) return prev;
    const acc = zeros(inp.shape, { dtype });
    if (prev !== undefined) acc.addInPlace(prev);
    owned.add(acc);
    grads.set(inp, acc);
    return acc;
  }

  function addGrads(op: string, inputs: readonly Tensor[], inGrads: (Tensor | null)[]): void {
    inputs.forEach((inp, j) => {
      const gi = inGrads[j];
      if (gi === null || gi === undefined || !inp.requiresGrad) return;
      if (!shapesEqual(gi.shape, inp.shape)) {
        fail(
          'backward',
          `gradient rule for '${op}' returned shape ${fmtShape(gi.shape)} for input ${j} of shape ${fmtShape(inp.shape)}`,
        );
      }
      const prev = grads.get(inp);
      if (prev === undefined) grads.set(inp, gi);
      else if (owned.has(prev)) prev.addInPlace(gi);
      else {
        // Rules may hand the same tensor to several inputs, so only sums made here are updated in place.
        const sum = prev.add(gi);
        owned.add(sum);
        grads.set(inp, sum);
      }
    });
  }
}

function accumulate(t: Tensor, g: Tensor): void {
  const gd = g.dtype === t.dtype ? g : g.to(t.dtype);
  if (t.grad === null) {
    // The gradient must own its buffer: it outlives the step's scope, is updated in place, and the same
    // upstream tensor may be handed to several inputs (add passes g to both).
    t.grad = keep(gd.clone());
  } else {
    t.grad.addInPlace(gd);
  }
}
