/**
 * Writes the train/test rows of each multi-class CSV config's seeded split to
 * test/fixtures/data/multiclass_splits.json, for scripts/sklearn_multiclass_baseline.py to fit scikit-learn on
 * exactly the same rows. Run: `node --import tsx scripts/multiclass-splits.ts`.
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../src/cli/config.ts';
import { loadSource } from '../src/cli/sources.ts';

export const MULTICLASS_CONFIGS = ['iris', 'wine', 'digits'] as const;

const out: Record<string, { path: string; label: string; train: number[]; test: number[] }> = {};
for (const name of MULTICLASS_CONFIGS) {
  const config = loadConfig(`configs/${name}-multiclass.yaml`);
  const src = await loadSource(config);
  const d = config.data as { path: string; label: string };
  out[name] = {
    path: `datasets/${name}.csv`,
    label: d.label,
    train: Array.from(src.split.train),
    test: Array.from(src.split.test),
  };
}
writeFileSync('test/fixtures/data/multiclass_splits.json', `${JSON.stringify(out)}\n`);
