/**
 * The MLP step's phase table (figures from bench/phases.ts): one row per phase, one column per thread
 * count, ms per step and share of the step. Kept apart from phases.ts so bench/run.ts can render saved
 * runs without loading the engine.
 */
import { renderRows } from './report.ts';
import type { Figure } from './stats.ts';

export type Phase = 'gemm' | 'elementwise' | 'optimizer' | 'overhead';
export const PHASES: readonly Phase[] = ['gemm', 'elementwise', 'optimizer', 'overhead'];
const LABEL: Record<Phase, string> = {
  gemm: 'GEMM',
  elementwise: 'element-wise',
  optimizer: 'optimizer',
  overhead: 'framework overhead',
};

export function renderPhases(figs: readonly Figure[], md = false): string {
  const mine = figs.filter((f) => f.framework === 'tensorscript' && f.name.startsWith('mlp.step'));
  const threads = [...new Set(mine.map((f) => Number(f.threads)))].sort((a, b) => a - b);
  if (threads.length === 0) return '';
  const cell = (name: string, t: number, share: boolean) => {
    const f = mine.find((x) => x.name === name && Number(x.threads) === t);
    if (f === undefined || f.value === null) return '-';
    return share && typeof f.share === 'number' ? `${f.value.toFixed(2)} (${f.share}%)` : f.value.toFixed(2);
  };
  const rows = PHASES.map((p) => [LABEL[p], ...threads.map((t) => cell(`mlp.step.${p}`, t, true))]);
  rows.push(['step (median)', ...threads.map((t) => cell('mlp.step', t, false))]);
  return renderRows(['phase', ...threads.map((t) => `${t} thread${t === 1 ? '' : 's'}, ms`)], rows, md);
}
