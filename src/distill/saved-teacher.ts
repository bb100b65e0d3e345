/**
 * Distillation through the saved model: `saving.fit({ ..., distill: { teacher: 'runs/big', temperature: 4 } })`
 * trains the student described by the rest of the options against a saved teacher. The student takes the
 * teacher's preprocessing as it is (not refitted), so both models see the same input for the same row and the
 * student's saved model reads the same raw records as the teacher it replaces.
 */

import { fail } from '../core/errors.ts';
import { checkOptions } from '../core/options.ts';
import { loadModel } from '../saving/load.ts';
import { SavedModel } from '../saving/saved-model.ts';
import type { Source } from '../saving/sources.ts';
import type { CompileConfig, TrainableModule, Trainer } from '../train/trainer.ts';
import { Distiller } from './distiller.ts';
import { DISTILL_OPTIONS, type DistillOptions } from './loss.ts';

/** saving.fit's `distill` section: the teacher (a SavedModel or its directory) and the distillation settings. */
export interface DistillSpec extends DistillOptions {
  teacher: SavedModel | string;
}

/** Refuses an unknown key (with a did-you-mean), a bad setting or a missing teacher before any data is read. */
export function checkDistillSpec(spec: DistillSpec): void {
  const op = 'saving.fit distill';
  checkOptions(op, spec, DISTILL_OPTIONS, ['teacher']);
  const t = (spec as { teacher?: unknown }).teacher;
  if (!(t instanceof SavedModel) && (typeof t !== 'string' || t === ''))
    fail(op, 'teacher is required: a saved model directory (or a SavedModel loaded with saving.load)');
}

/** What saving.fit needs to distil: the source read through the teacher's preprocessing, the trainer factory. */
export interface PreparedDistillation {
  teacher: SavedModel;
  source: Source;
  makeTrainer: (student: TrainableModule, cfg: CompileConfig) => Trainer;
}

function sameClasses(a: readonly string[] | null, b: readonly string[] | null): boolean {
  return a !== null && b !== null && a.length === b.length && a.every((c, i) => c === b[i]);
}

/**
 * Loads the teacher and checks that it can teach on this data: a classifier with logit outputs (softmax,
 * sigmoid, or log-probabilities) over the source's classes, in the same order.
 */
export function prepareDistillation(spec: DistillSpec, src: Source): PreparedDistillation {
  checkDistillSpec(spec);
  const op = 'saving.fit distill';
  const teacher = typeof spec.teacher === 'string' ? loadModel(spec.teacher) : spec.teacher;
  const where = typeof spec.teacher === 'string' ? ` (${spec.teacher})` : '';
  if (teacher.task.task !== 'classification' || src.task !== 'classification')
    fail(
      op,
      `distillation needs a classification teacher and data; the teacher${where} is a ${teacher.task.task} model and the data a ${src.task} task`,
    );
  if (!sameClasses(teacher.task.classes, src.classes))
    fail(
      op,
      `the teacher${where} scores classes [${(teacher.task.classes ?? []).join(', ')}] but the data has [${(src.classes ?? []).join(', ')}]; both must be the same classes in the same order`,
    );
  if (teacher.task.outputTransform === 'none')
    fail(
      op,
      `the teacher${where} outputs probabilities or values, not logits (its loss took no fromLogits); distillation softens logits`,
    );
  const { teacher: _t, ...settings } = spec;
  const source: Source = { ...src, fit: () => teacher.preprocessor };
  return {
    teacher,
    source,
    makeTrainer: (student, cfg) =>
      new Distiller(student, teacher.model as unknown as TrainableModule, settings).compile(cfg),
  };
}
