/**
 * Runs the GEMM (bench/gemm.ts) or data-pipeline (bench/data.ts) benchmark in a child process for
 * bench/run.ts and prints its records as JSON lines with the framework context added.
 * `node --import tsx bench/job.ts <gemm|data> [--quick]`
 */
import { benchData } from './data.ts';
import { benchGemm } from './gemm.ts';
import { type Figure, printJsonLines } from './stats.ts';

const task = process.argv[2];
const quick = process.argv.includes('--quick');
let figs: Figure[];
if (task === 'gemm') {
  // Timed repetitions per size, as bench/gemm.ts runs them (each >= 20 ms, median reported).
  const reps: Record<string, number> = { 'gemm 1024^3': 5, 'gemm 128^3': 3 };
  figs = (await benchGemm({ quiet: true })).map((r) => ({
    ...r,
    framework: 'tensorscript',
    runs: reps[r.name] ?? 7,
  }));
} else if (task === 'data') {
  // --quick parses a 100k-row CSV instead of 1M rows.
  const recs = await benchData({ quiet: true, csvRows: quick ? 100_000 : undefined });
  figs = recs.map((r) => ({ ...r, framework: 'tensorscript', threads: 1 }));
} else {
  console.error(`[bench/job] unknown task "${task}"; expected gemm or data`);
  process.exit(2);
}
printJsonLines(figs);
process.exit(0);
