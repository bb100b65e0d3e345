import type { Tensor } from '../tensor/tensor.ts';

/** One recorded op on the tape. `inputs` is emptied once backward has used it (unless retainGraph). */
export interface Node {
  readonly op: string;
  inputs: Tensor[];
  readonly attrs: Record<string, unknown>;
  released: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording ops on the tape (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording on (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
