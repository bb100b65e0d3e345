// Public API of knowledge distillation: the loss (Hinton-style soft targets on logits), the Distiller trainer
// (`fit` with a frozen teacher), and distillation from a saved teacher into a new saved model.
import { fail } from '../core/errors.ts';
import { type FitOptions, type FitResult, fit } from '../saving/fit.ts';
import { loadModel } from '../saving/load.ts';
import type { SavedModel } from '../saving/saved-model.ts';
import type { DataSpec } from '../saving/sources.ts';
import type { DistillOptions } from './loss.ts';

export { Distiller, distiller } from './distiller.ts';
export {
  DISTILL_OPTIONS,
  type DistillationLossFn,
  type DistillOptions,
  distillationLoss,
  type SoftTargets,
  softTargetLoss,
} from './loss.ts';
export {
  checkDistillSpec,
  type DistillSpec,
  type PreparedDistillation,
  prepareDistillation,
} from './saved-teacher.ts';

/** The student's run description: saving.fit's options without the data and the teacher. */
export type StudentConfig = Omit<FitOptions, 'data' | 'distill'>;

/** The teacher's data section (run.json), when it names data that can be read again (a file, a folder, MNIST). */
function teacherData(teacher: SavedModel, where: string): DataSpec {
  const rc = teacher.runConfig as { data?: { source?: unknown } } | null;
  const data = rc?.data;
  if (data === undefined || data === null || typeof data.source !== 'string')
    fail('distill', `the teacher${where} records no data section (run.json); pass the data to distil on`);
  if (data.source === 'table' || data.source === 'tensors')
    fail(
      'distill',
      `the teacher${where} was trained on in-memory ${data.source} data, which its run.json only describes; pass the data to distil on`,
    );
  return data as unknown as DataSpec;
}

/**
 * Trains `student` (model config or module, loss, optimizer, training, evaluation) as the student of a saved
 * teacher and returns saving.fit's result, whose `model` is the student's SavedModel (`model.save(dir)`):
 *
 *   const { model, metrics } = await ts.distill.distill('runs/mlp-big', {
 *     model: { className: 'Sequential', config: { layers: [...] } },
 *     loss: 'crossEntropy', optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 }, training: { epochs: 5 },
 *   }, undefined, { temperature: 4, alpha: 0.9 });
 *
 * `data` defaults to the teacher's own (its run.json data section); the student always reads it through the
 * teacher's preprocessing. The same run is `saving.fit({ ...student, data, distill: { teacher, ...opts } })`.
 */
export async function distill(
  teacher: SavedModel | string,
  student: StudentConfig,
  data?: DataSpec,
  opts: DistillOptions = {},
): Promise<FitResult> {
  for (const k of ['data', 'distill'] as const)
    if ((student as Partial<FitOptions>)[k] !== undefined)
      fail(
        'distill',
        `the student config has a ${k} section; the data is distill's third argument and the settings its fourth`,
      );
  // Without data, the teacher's run.json says what it was trained on (the teacher is then read twice: once
  // here, once by saving.fit, which records its path in the student's run.json).
  const readData =
    data ??
    teacherData(
      typeof teacher === 'string' ? loadModel(teacher) : teacher,
      typeof teacher === 'string' ? ` (${teacher})` : '',
    );
  return fit({ ...(student as FitOptions), data: readData, distill: { ...opts, teacher } });
}
