/**
 * Where a training step's time goes: runs a fixed number of MLP (or CNN) training steps under
 * `node --cpu-prof` and prints the functions with the most self time, and self time per source file.
 *
 *   node --import tsx bench/profile.ts [mlp|cnn] [--steps 300] [--top 25]
 *
 * Self time of "(program)"/"(idle)" is V8 and native time outside JS; wasm kernels show up under their
 * wasm function names (for example gemm_*), so kernel time and JS overhead can be told apart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue } from './stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Function index -> export name of a wasm binary (its export section; imported functions come first in
 * the index space). The kernels carry no name section, so unexported helpers stay anonymous.
 */
export function wasmExportNames(bytes: Uint8Array): Map<number, string> {
  let pos = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++]!;
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v >>> 0;
      shift += 7;
    }
  };
  const names = new Map<number, string>();
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = leb();
    const end = pos + size;
    if (id === 7) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        const len = leb();
        const name = new TextDecoder().decode(bytes.subarray(pos, pos + len));
        pos += len;
        const kind = bytes[pos++]!;
        const index = leb();
        if (kind === 0) names.set(index, name);
      }
    }
    pos = end;
  }
  return names;
}

let kernelNames: Map<number, string> | undefined;

function wasmName(fn: string): string {
  const m = /^wasm-function\[(\d+)\]$/.exec(fn);
  if (m === null) return fn;
  kernelNames ??= wasmExportNames(readFileSync(join(root, 'src/backends/wasm/kernels-simd.wasm')));
  const name = kernelNames.get(Number(m[1]));
  return name === undefined ? `${fn} (internal kernel helper)` : `${fn} ${name}`;
}

function where(url: string, line: number): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = path.startsWith(root) ? relative(root, path) : path;
  // tsx's transpiled modules report line 0 for everything: a line number would mislead.
  return line > 0 ? `${rel}:${line + 1}` : rel;
}

/** Self time per function (ms), from the sample timeline rather than hit counts (samples are uneven). */
export function selfTimes(p: CpuProfile): {
  fn: Map<string, number>;
  file: Map<string, number>;
  total: number;
} {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!);
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    if (n === undefined) continue;
    total += dt;
    const { functionName, url, lineNumber } = n.callFrame;
    const isWasm = url.startsWith('wasm://');
    let name = isWasm ? wasmName(functionName) : functionName || '(anonymous)';
    // An unexported kernel helper is named by the exported kernel that called it.
    if (isWasm && name.endsWith('(internal kernel helper)')) {
      const caller = parent.get(n.id)?.callFrame.functionName ?? '';
      name = name.replace('(internal kernel helper)', `(internal, called by ${wasmName(caller)})`);
    }
    const key = isWasm ? `${name} [wasm]` : `${name} ${where(url, lineNumber)}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + dt);
    const f = url === '' ? functionName : isWasm ? 'wasm kernels' : where(url, 0);
    file.set(f, (file.get(f) ?? 0) + dt);
  }
  return { fn, file, total };
}

function top(m: Map<string, number>, total: number, n: number): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, ms]) => `${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${k}`,
    )
    .join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const model = argv[0] === 'cnn' ? 'cnn' : 'mlp';
  const steps = argValue(argv, '--steps', model === 'cnn' ? '40' : '300');
  const n = Number(argValue(argv, '--top', '25'));
  const dir = mkdtempSync(join(tmpdir(), 'ts-prof-'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-dir',
        dir,
        '--import',
        'tsx',
        join(root, 'bench', 'train.ts'),
        `${model}-steps`,
        '--steps',
        steps,
      ],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`[bench/profile] training run failed (exit ${r.status})`);
    process.stdout.write(r.stdout);
    // One profile per thread (main, tsx's loader worker, kernel workers): the main thread is the one
    // with the most non-idle time.
    const files = readdirSync(dir).map((f) => join(dir, f));
    const busy = (p: CpuProfile) => {
      const t = selfTimes(p);
      return t.total - (t.fn.get('(idle)') ?? 0);
    };
    const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
    profiles.sort((a, b) => busy(b) - busy(a));
    const main = selfTimes(profiles[0]!);
    console.log(
      `\nMain thread, ${main.total.toFixed(0)} ms sampled (${files.length} profiles written: main + workers)`,
    );
    console.log(`\nTop ${n} functions by self time:\n${top(main.fn, main.total, n)}`);
    console.log(`\nSelf time by file:\n${top(main.file, main.total, 15)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
