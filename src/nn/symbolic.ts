/**
 * A placeholder flowing through layer calls while a functional (Keras-style) model is being built:
 * `const x = input(); const y = new Linear(4, 2).call(x);` records the call instead of computing.
 * Kept free of imports so module.ts can recognise it without an import cycle.
 */
let nextId = 0;

export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    /** The layer that produces this value (null for a model input). */
    readonly layer: object | null,
    readonly inputs: readonly SymbolicTensor[],
    readonly name: string,
  ) {}
}

/** A model input placeholder (keras.Input). */
export function input(opts: { name?: string } = {}): SymbolicTensor {
  return new SymbolicTensor(null, [], opts.name ?? `input_${nextId}`);
}

export function isSymbolicCall(args: readonly unknown[]): boolean {
  return args.length > 0 && args.every((a) => a instanceof SymbolicTensor);
}
