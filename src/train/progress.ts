import { Callback, type Logs } from './callback.ts';

/** Where the bar writes: process.stdout by default; anything with write() (and isTTY/columns when a terminal). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  stream?: ProgressStream;
  /**
   * 'auto' (default): a redrawn bar on a TTY, plain lines otherwise; 'bar' / 'lines' force one; 'epoch' prints
   * only one line per epoch (fit's verbose 2).
   */
  mode?: 'auto' | 'bar' | 'lines' | 'epoch';
  /** Least time between redraws of the bar, ms (default 100). */
  redrawMs?: number;
  /** Least time between plain progress lines when not a TTY, ms (default 10 s). */
  lineMs?: number;
  /** The clock, for tests (default performance.now). */
  now?: () => number;
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  if (sec < 60) return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)}s`;
  const m = Math.floor(sec / 60);
  const s = Math.round(sec % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function fmtLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${fmtNum(v)}`)
    .join(' - ');
}

/**
 * Keras-style progress: `Epoch 3/10`, then `12/50 [=====>......] - ETA: 3.1s - loss: 0.1234 - accuracy: 0.9100 -
 * 5120 samples/s`, redrawn in place on a terminal; plain periodic lines when output is a file or pipe (CI logs);
 * and one summary line per epoch with every log value and the epoch's time.
 */
export class ProgressBar extends Callback {
  private readonly stream: ProgressStream;
  private readonly mode: 'bar' | 'lines' | 'epoch';
  private readonly redrawMs: number;
  private readonly lineMs: number;
  private readonly now: () => number;
  private epochStart = 0;
  private lastDraw = 0;
  private samples = 0;
  private steps = 0;
  private drawn = false;

  constructor(opts: ProgressBarOptions = {}) {
    super();
    this.stream = opts.stream ?? process.stdout;
    const m = opts.mode ?? 'auto';
    this.mode = m === 'auto' ? (this.stream.isTTY ? 'bar' : 'lines') : m;
    this.redrawMs = opts.redrawMs ?? 100;
    this.lineMs = opts.lineMs ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
  }

  override onEpochBegin(epoch: number): void {
    this.epochStart = this.now();
    this.lastDraw = this.epochStart;
    this.samples = 0;
    this.steps = 0;
    this.drawn = false;
    if (this.mode !== 'epoch') this.stream.write(`Epoch ${epoch + 1}/${this.trainer.epochs}\n`);
  }

  /** The progress text after `steps` batches: counter, bar (when the total is known), ETA, loss, metrics, speed. */
  progressLine(width: number): string {
    const total = this.trainer.stepsPerEpoch;
    const elapsed = (this.now() - this.epochStart) / 1000;
    const perStep = this.steps > 0 ? elapsed / this.steps : Number.NaN;
    const parts: string[] = [];
    if (total !== null) {
      const digits = String(total).length;
      const barW = Math.max(10, Math.min(30, width - 80));
      const done = Math.min(barW, Math.floor((barW * this.steps) / total));
      const bar = '='.repeat(Math.max(0, done - 1)) + (done > 0 ? (this.steps >= total ? '=' : '>') : '');
      parts.push(`${String(this.steps).padStart(digits)}/${total} [${bar.padEnd(barW, '.')}]`);
      parts.push(`ETA: ${fmtTime(perStep * (total - this.steps))}`);
    } else parts.push(`${this.steps} batches`, `${fmtTime(elapsed)}`);
    const logs: Logs = { loss: this.meanLoss, ...this.trainer.metricResults() };
    parts.push(fmtLogs(logs));
    parts.push(`${Math.round(this.samples / Math.max(elapsed, 1e-9))} samples/s`);
    return parts.join(' - ');
  }

  private meanLoss = Number.NaN;

  override onTrainBatchEnd(_batch: number, logs: Logs): void {
    this.steps++;
    this.samples += logs.size ?? 0;
    this.meanLoss = logs.meanLoss ?? logs.loss ?? Number.NaN;
    if (this.mode === 'epoch') return;
    const t = this.now();
    if (this.mode === 'bar') {
      if (t - this.lastDraw < this.redrawMs && this.steps !== this.trainer.stepsPerEpoch) return;
      const width = this.stream.columns ?? 100;
      let line = this.progressLine(width);
      if (line.length > width - 1) line = line.slice(0, width - 1);
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      if (t - this.lastDraw < this.lineMs) return;
      this.stream.write(`${this.progressLine(100)}\n`);
    }
    this.lastDraw = t;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const sec = (this.now() - this.epochStart) / 1000;
    const speed = `${Math.round(this.samples / Math.max(sec, 1e-9))} samples/s`;
    const head = this.mode === 'epoch' ? `Epoch ${epoch + 1}/${this.trainer.epochs} - ` : '';
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${head}${this.steps} steps - ${fmtTime(sec)} - ${fmtLogs(logs)} - ${speed}\n`);
  }
}
