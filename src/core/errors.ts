/**
 * Every error the engine raises names the op or layer first, then what was expected and what arrived,
 * e.g. `[matmul] inner dimensions differ: [2,3] @ [4,5]`.
 */
export class TensorScriptError extends Error {
  readonly op: string;
  constructor(op: string, message: string) {
    super(`[${op}] ${message}`);
    this.name = 'TensorScriptError';
    this.op = op;
  }
}

export function fail(op: string, message: string): never {
  throw new TensorScriptError(op, message);
}

export function check(cond: boolean, op: string, message: () => string): asserts cond {
  if (!cond) throw new TensorScriptError(op, message());
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
