import type { Tensor } from '../tensor/tensor.ts';

/** What a gradient rule sees: the op's inputs, its output and the attributes it was called with. */
export interface GradContext<A = Record<string, unknown>> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly attrs: A;
}

/**
 * A gradient rule maps the upstream gradient to one gradient per input (null where an input takes none),
 * written in public tensor ops so every backend inherits it. Rules are keyed by kernel/op name only.
 */
export type GradRule<A = Record<string, unknown>> = (g: Tensor, ctx: GradContext<A>) => (Tensor | null)[];

const rules = new Map<string, GradRule>();

export function registerGrad<A>(op: string, rule: GradRule<A>): void {
  rules.set(op, rule as unknown as GradRule);
}

export function gradRule(op: string): GradRule | undefined {
  return rules.get(op);
}

export function gradOps(): string[] {
  return [...rules.keys()].sort();
}
