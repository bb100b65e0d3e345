import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TensorData, Tol } from '../helpers/golden.ts';

/** Reading the optimizer fixtures written by scripts/gen_golden_optim.py (format in its docstring). */
export const OPTIM_DIR = join(import.meta.dirname, '..', 'fixtures', 'golden', 'optim');

export function readOptimFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(OPTIM_DIR, name), 'utf8')) as T;
}

export interface TrajectoryStep {
  params: TensorData[];
  state: Record<string, Record<string, TensorData | number>>;
}

export interface TrajectoryCase {
  name: string;
  options: Record<string, number | boolean | number[]>;
  groups: (Record<string, number | boolean | number[]> & { params: number[] })[] | null;
  params: TensorData[];
  grads: (TensorData | null)[][];
  steps: TrajectoryStep[];
  tol: Tol;
}

export interface TrajectoryFile {
  optimizer: string;
  torch: string;
  cases: TrajectoryCase[];
}
