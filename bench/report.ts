/**
 * Turns the figures of one `npm run bench` into the readable table, the TensorScript-vs-peer ratios and
 * the issue-3 target check. Pure functions of the figures, so they are tested without running anything.
 */
import type { Figure } from './stats.ts';

/** Units where smaller is better; every other unit (samples/s, GFLOPS, MB/s) is a rate. */
const LOWER_IS_BETTER = new Set(['ms', 'MB', 'us/batch', 'buffers']);

export function lowerIsBetter(unit: string): boolean {
  return LOWER_IS_BETTER.has(unit);
}

/** A column of the table: one framework/backend/thread setting. */
interface Column {
  key: string;
  title: string;
  match: (f: Figure) => boolean;
}

function columns(allThreads: number): Column[] {
  const fw = (f: Figure, name: string) => f.framework === name;
  const cols: Column[] = [
    { key: 'ts1', title: 'TensorScript 1 thr', match: (f) => fw(f, 'tensorscript') && f.threads === 1 },
  ];
  if (allThreads > 1)
    cols.push({
      key: 'tsN',
      title: `TensorScript ${allThreads} thr`,
      match: (f) => fw(f, 'tensorscript') && f.threads === allThreads,
    });
  // The native engine (ONNX Runtime), at each thread count it ran with.
  for (const t of [...new Set([1, allThreads])])
    cols.push({
      key: `nat${t}`,
      title: `TS native ${t} thr`,
      match: (f) => fw(f, 'tensorscript-native') && f.threads === t,
    });
  cols.push(
    { key: 'tfw', title: 'TF.js wasm', match: (f) => fw(f, 'tfjs') && f.backend === 'wasm' },
    { key: 'tfc', title: 'TF.js cpu', match: (f) => fw(f, 'tfjs') && f.backend === 'cpu' },
    { key: 'pt1', title: 'PyTorch 1 thr', match: (f) => fw(f, 'pytorch') && f.threads === 1 },
  );
  if (allThreads > 1)
    cols.push({
      key: 'ptN',
      title: `PyTorch ${allThreads} thr*`,
      match: (f) => fw(f, 'pytorch') && f.threads === allThreads,
    });
  return cols;
}

/** The best of several figures (PyTorch is run in several thread-pool settings). */
function best(figs: readonly Figure[]): Figure | undefined {
  let b: Figure | undefined;
  for (const f of figs) {
    if (f.value === null) {
      b ??= f;
      continue;
    }
    if (b === undefined || b.value === null) b = f;
    else if (lowerIsBetter(f.unit) ? f.value < b.value : f.value > b.value) b = f;
  }
  return b;
}

export function formatValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (unit === 'ms') return v < 10 ? v.toFixed(3) : v.toFixed(1);
  if (unit === 'samples/s') return v < 10 ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toFixed(1);
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** An aligned text table, or a Markdown table (for docs/benchmarks.md) when `md`. */
export function renderRows(header: string[], rows: string[][], md = false): string {
  if (md) {
    const line = (r: string[]) => `| ${r.join(' | ')} |`;
    const rule = `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
    return [line(header), rule, ...rows.map(line)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i]!, i > 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Figures that have a column per framework (the comparable workloads), in a stable order. */
const COMPARED = [
  'gemm 256^3',
  'gemm 1024^3',
  'gemm 128x784x500',
  'mlp.train',
  'cnn.train',
  'mlp.infer.b1.median',
  'mlp.infer.b1.p99',
  'mlp.infer.b64.median',
  'mlp.infer.b64.p99',
  'mlp.train.peak_rss',
  'cnn.train.peak_rss',
  'mlp.infer.peak_rss',
];

/** The main table: one row per compared figure, one column per framework setting (medians). */
export function renderTable(figs: readonly Figure[], allThreads: number, md = false): string {
  const cols = columns(allThreads);
  const rows: string[][] = [];
  for (const name of COMPARED) {
    const mine = figs.filter((f) => f.name === name);
    if (mine.length === 0) continue;
    const unit = mine[0]!.unit;
    rows.push([
      name,
      unit,
      ...cols.map((c) => {
        const f = best(mine.filter(c.match));
        if (f === undefined) return '-';
        return f.value === null ? 'cannot' : formatValue(f.value, unit);
      }),
    ]);
  }
  // The MLP step's phases have their own table (phases-report.ts).
  const other = figs.filter(
    (f) => !COMPARED.includes(f.name) && f.kind !== 'ratio' && !f.name.startsWith('mlp.step'),
  );
  const otherRows = other.map((f) => [
    f.name,
    f.unit,
    formatValue(f.value, f.unit),
    String(f.framework ?? ''),
    f.threads === undefined ? '' : String(f.threads),
  ]);
  const parts: string[] = [];
  if (rows.length > 0) parts.push(renderRows(['figure', 'unit', ...cols.map((c) => c.title)], rows, md));
  if (otherRows.length > 0)
    parts.push(renderRows(['figure', 'unit', 'value', 'framework', 'threads'], otherRows, md));
  return parts.join('\n\n');
}

/**
 * Speed ratios TensorScript / peer, per compared figure and thread count: throughput divided, latency
 * inverted, so every ratio reads "times faster" (> 1: TensorScript is faster). TF.js is single-threaded
 * in Node, so it is compared with TensorScript at every thread count; PyTorch at the same count
 * (its best pool setting).
 */
export function ratios(figs: readonly Figure[], allThreads: number): Figure[] {
  const out: Figure[] = [];
  const peers: { label: string; match: (f: Figure, threads: number) => boolean }[] = [
    { label: 'tfjs-wasm', match: (f) => f.framework === 'tfjs' && f.backend === 'wasm' },
    { label: 'tfjs-cpu', match: (f) => f.framework === 'tfjs' && f.backend === 'cpu' },
    { label: 'pytorch', match: (f, t) => f.framework === 'pytorch' && f.threads === t },
  ];
  const names = COMPARED.filter((n) => !n.endsWith('peak_rss'));
  // The native engine against PyTorch and against the wasm backend, as 'native/<peer>'.
  const nativePeers: typeof peers = [
    { label: 'pytorch', match: (f, t) => f.framework === 'pytorch' && f.threads === t },
    { label: 'wasm', match: (f, t) => f.framework === 'tensorscript' && f.threads === t },
  ];
  for (const name of names)
    for (const threads of [...new Set([1, allThreads])]) {
      const nat = best(
        figs.filter((f) => f.name === name && f.framework === 'tensorscript-native' && f.threads === threads),
      );
      if (nat === undefined || nat.value === null || nat.value === 0) continue;
      for (const peer of nativePeers) {
        const p = best(figs.filter((f) => f.name === name && peer.match(f, threads)));
        if (p === undefined || p.value === null || p.value === 0) continue;
        const value = lowerIsBetter(nat.unit) ? p.value / nat.value : nat.value / p.value;
        out.push({ name: `ratio ${name} native/${peer.label}`, value, unit: 'x', kind: 'ratio', threads });
      }
    }
  for (const name of names) {
    for (const threads of [...new Set([1, allThreads])]) {
      const ts = best(
        figs.filter((f) => f.name === name && f.framework === 'tensorscript' && f.threads === threads),
      );
      if (ts === undefined || ts.value === null) continue;
      for (const peer of peers) {
        const p = best(figs.filter((f) => f.name === name && peer.match(f, threads)));
        if (p === undefined || p.value === null || p.value === 0 || ts.value === 0) continue;
        const value = lowerIsBetter(ts.unit) ? p.value / ts.value : ts.value / p.value;
        out.push({
          name: `ratio ${name} tensorscript/${peer.label}`,
          value,
          unit: 'x',
          kind: 'ratio',
          threads,
        });
      }
    }
  }
  return out;
}

export function renderRatios(rs: readonly Figure[], md = false): string {
  const byKey = new Map<string, Map<string, number | null>>();
  const peers: string[] = [];
  for (const r of rs) {
    const m = /^ratio (.+) (tensorscript|native)\/(.+)$/.exec(r.name);
    if (m === null) continue;
    // Native rows read 'figure (native)'; their peers share the columns (vs pytorch) or add 'vs wasm'.
    const name = m[2] === 'native' ? `${m[1]} (native)` : m[1];
    const peer = m[3]!;
    const key = `${name}\t${r.threads}`;
    if (!peers.includes(peer)) peers.push(peer);
    if (!byKey.has(key)) byKey.set(key, new Map());
    byKey.get(key)!.set(peer, r.value);
  }
  const rows = [...byKey].map(([key, m]) => {
    const [name, threads] = key.split('\t') as [string, string];
    return [name, threads, ...peers.map((p) => (m.has(p) ? `${(m.get(p) ?? Number.NaN).toFixed(2)}x` : '-'))];
  });
  if (rows.length === 0) return '';
  return renderRows(['figure', 'TS threads', ...peers.map((p) => `vs ${p}`)], rows, md);
}

export interface TargetCheck {
  label: string;
  value: number | null;
  unit: string;
  target: string;
  met: boolean | null;
  note: string;
}

/** The issue-3 targets on this machine, checked against TensorScript's figures. */
export function checkTargets(figs: readonly Figure[], allThreads: number): TargetCheck[] {
  const ts = (name: string, threads?: number) =>
    best(
      figs.filter(
        (f) =>
          f.name === name &&
          f.framework === 'tensorscript' &&
          (threads === undefined || f.threads === threads),
      ),
    );
  const out: TargetCheck[] = [];
  const atLeast = (label: string, f: Figure | undefined, target: number, unit: string) => {
    if (f === undefined || f.value === null) return;
    const met = f.value >= target;
    out.push({
      label,
      value: f.value,
      unit,
      target: `>= ${target.toLocaleString('en-US')} ${unit}`,
      met,
      note: met
        ? `met (${(f.value / target).toFixed(2)}x the target)`
        : `missed: ${((1 - f.value / target) * 100).toFixed(0)}% short (needs ${(target / f.value).toFixed(2)}x)`,
    });
  };
  const atMost = (label: string, f: Figure | undefined, target: number) => {
    if (f === undefined || f.value === null) return;
    const met = f.value <= target;
    out.push({
      label,
      value: f.value,
      unit: 'ms',
      target: `<= ${target} ms`,
      met,
      note: met
        ? `met (${(target / f.value).toFixed(2)}x headroom)`
        : `missed: ${(f.value / target).toFixed(2)}x the target`,
    });
  };
  for (const size of ['256^3', '1024^3', '128x784x500'])
    atLeast(`GEMM ${size}, ${allThreads} threads`, ts(`gemm ${size}`, allThreads), 75, 'GFLOPS');
  atLeast('MLP training (best thread setting)', ts('mlp.train'), 10_000, 'samples/s');
  atLeast('CNN training (best thread setting)', ts('cnn.train'), 1_500, 'samples/s');
  atMost('MLP inference batch 1, median', ts('mlp.infer.b1.median'), 0.1);
  atMost('MLP inference batch 64, median', ts('mlp.infer.b64.median'), 1.2);
  const live = ts('memory.epoch.live_growth');
  const rss = ts('memory.epoch.rss_growth');
  const heap = ts('memory.epoch.heap_growth');
  const signed = (v: number, digits: number) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
  if (live !== undefined && rss !== undefined && live.value !== null && rss.value !== null) {
    // Flat: no engine buffer outlives its step, and RSS moves by less than allocator noise.
    const met = live.value === 0 && rss.value < 16;
    out.push({
      label: `Memory over ${rss.epochs ?? 1} MNIST epoch(s), after the first quarter`,
      value: rss.value,
      unit: 'MB',
      target: 'live buffers +0, RSS < +16 MB',
      met,
      note: `${met ? 'met' : 'missed'}: live buffers ${signed(live.value, 0)}, RSS ${signed(rss.value, 1)} MB${heap?.value == null ? '' : `, heap ${signed(heap.value, 1)} MB`}`,
    });
  }
  return out;
}

export function renderTargets(ts: readonly TargetCheck[], md = false): string {
  if (ts.length === 0) return '';
  return renderRows(
    ['target', 'measured', 'goal', 'result'],
    ts.map((t) => [t.label, formatValue(t.value, t.unit), t.target, t.note]),
    md,
  );
}
