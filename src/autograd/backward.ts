import { check, fail, fmtShape } from '../core/errors.ts';
import { shapesEqual } from '../core/shape.ts';
import { keep } from '../tensor/lifecycle.ts';
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
  grads.set(root, seed);
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t);
      const node = t.gradFn;
      if (node === null) {
        if (t.requiresGrad) accumulate(t, g);
        continue;
      }
      const rule = gradRule(node.op);
      if (rule === undefined) fail('backward', `no gradient rule for op '${node.op}'`);
      const inGrads = rule(g, { inputs: node.inputs, out: t, attrs: node.attrs });
      node.inputs.forEach((inp, j) => {
        const gi = inGrads[j];
        if (gi === null || gi === undefined || !inp.requiresGrad) return;
        if (!shapesEqual(gi.shape, inp.shape)) {
          fail(
            'backward',
            `gradient rule for '${node.op}' returned shape ${fmtShape(gi.shape)} for input ${j} of shape ${fmtShape(inp.shape)}`,
          );
        }
        const prev = grads.get(inp);
        grads.set(inp, prev === undefined ? gi : prev.add(gi));
      });
      if (t.retainsGrad) accumulate(t, g);
      if (!retainGraph) {
        node.inputs = [];
        node.released = true;
      }
    }
  });
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
