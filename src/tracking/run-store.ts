/**
 * The run store: every fit's parameters, per-step and per-epoch metrics, system figures, artefacts and model
 * card in one SQLite file, which several processes may write at once (WAL journal, busy timeout, one short
 * transaction per write). Schema (version 1; `schema_version` records the migrations applied):
 *   runs(id TEXT PRIMARY KEY, name, status 'running'|'finished'|'failed', started_at, ended_at, params JSON, card JSON)
 *   metrics(run_id, key, scope 'step'|'epoch'|'system', step INTEGER, value REAL, wall_time REAL)
 *   artifacts(run_id, path, kind)
 */
import { randomUUID } from 'node:crypto';
import { fail } from '../core/errors.ts';
import { Callback, type Logs } from '../train/callback.ts';
import { openSqlite, type SqlDatabase } from './sqlite.ts';

/** Migrations in order; the store applies those above its recorded version, each in a transaction. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL,
     ended_at REAL, params TEXT NOT NULL, card TEXT);
   CREATE TABLE metrics (run_id TEXT NOT NULL REFERENCES runs(id), key TEXT NOT NULL, scope TEXT NOT NULL,
     step INTEGER NOT NULL, value REAL, wall_time REAL NOT NULL);
   CREATE INDEX metrics_run ON metrics(run_id, key, step);
   CREATE TABLE artifacts (run_id TEXT NOT NULL REFERENCES runs(id), path TEXT NOT NULL, kind TEXT NOT NULL);`,
];
export const RUN_STORE_SCHEMA_VERSION = MIGRATIONS.length;

export type MetricScope = 'step' | 'epoch' | 'system';

export interface RunRecord {
  id: string;
  name: string;
  status: 'running' | 'finished' | 'failed';
  startedAt: number;
  endedAt: number | null;
  params: Record<string, unknown>;
  card: unknown;
}

export interface MetricPoint {
  key: string;
  scope: MetricScope;
  step: number;
  value: number;
  wallTime: number;
}

export class RunStore {
  readonly path: string;
  private readonly db: SqlDatabase;

  constructor(path: string) {
    this.path = path;
    this.db = openSqlite(path);
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    this.migrate();
  }

  private tx<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock up front, so two writers wait on the busy timeout instead of deadlocking.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.db.exec('COMMIT');
      return r;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  private migrate(): void {
    this.tx(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_version').get();
      const have = Number(row?.v ?? 0);
      if (have > MIGRATIONS.length)
        fail(
          'RunStore',
          `${this.path} has schema version ${have}; this library knows up to ${MIGRATIONS.length}`,
        );
      for (let v = have; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
      }
    });
  }

  /** A new run (status 'running'); returns its id. */
  createRun(name: string, params: Record<string, unknown> = {}): string {
    const id = randomUUID();
    this.tx(() =>
      this.db
        .prepare('INSERT INTO runs (id, name, status, started_at, params) VALUES (?, ?, ?, ?, ?)')
        .run(id, name, 'running', Date.now() / 1000, JSON.stringify(params)),
    );
    return id;
  }

  /** Several metric points of one run in one transaction. */
  logMetrics(runId: string, points: readonly Omit<MetricPoint, 'wallTime'>[]): void {
    const now = Date.now() / 1000;
    this.tx(() => {
      const st = this.db.prepare(
        'INSERT INTO metrics (run_id, key, scope, step, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const p of points)
        st.run(runId, p.key, p.scope, p.step, Number.isFinite(p.value) ? p.value : null, now);
    });
  }

  logArtifact(runId: string, path: string, kind: string): void {
    this.tx(() =>
      this.db.prepare('INSERT INTO artifacts (run_id, path, kind) VALUES (?, ?, ?)').run(runId, path, kind),
    );
  }

  finishRun(runId: string, status: 'finished' | 'failed', card?: unknown): void {
    this.tx(() =>
      this.db
        .prepare('UPDATE runs SET status = ?, ended_at = ?, card = ? WHERE id = ?')
        .run(status, Date.now() / 1000, card === undefined ? null : JSON.stringify(card), runId),
    );
  }

  runs(): RunRecord[] {
    return this.db.prepare('SELECT * FROM runs ORDER BY started_at').all().map(toRun);
  }

  run(id: string): RunRecord {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id);
    if (r === undefined) fail('RunStore', `no run ${id} in ${this.path}`);
    return toRun(r);
  }

  /** A run's metric points, by key then step (optionally of one key). */
  metrics(runId: string, key?: string): MetricPoint[] {
    const rows =
      key === undefined
        ? this.db.prepare('SELECT * FROM metrics WHERE run_id = ? ORDER BY key, step').all(runId)
        : this.db.prepare('SELECT * FROM metrics WHERE run_id = ? AND key = ? ORDER BY step').all(runId, key);
    return rows.map((m) => ({
      key: String(m.key),
      scope: String(m.scope) as MetricScope,
      step: Number(m.step),
      value: m.value === null ? Number.NaN : Number(m.value),
      wallTime: Number(m.wall_time),
    }));
  }

  artifacts(runId: string): { path: string; kind: string }[] {
    return this.db
      .prepare('SELECT path, kind FROM artifacts WHERE run_id = ?')
      .all(runId)
      .map((a) => ({ path: String(a.path), kind: String(a.kind) }));
  }

  close(): void {
    this.db.close();
  }
}

function toRun(r: Record<string, unknown>): RunRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    status: String(r.status) as RunRecord['status'],
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    params: JSON.parse(String(r.params)) as Record<string, unknown>,
    card: r.card === null ? null : (JSON.parse(String(r.card)) as unknown),
  };
}

/**
 * A fit callback logging into a run store: the run's params at the start, `loss` per step (one transaction
 * per `flushEvery` steps), every log key per epoch, samples/s and heap per epoch, status at the end.
 */
export class RunTracker extends Callback {
  readonly store: RunStore;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly flushEvery: number;
  runId: string | null = null;
  private pending: Omit<MetricPoint, 'wallTime'>[] = [];
  private globalStep = 0;
  private epochStart = 0;
  private samples = 0;

  constructor(
    store: RunStore,
    opts: { name: string; params?: Record<string, unknown>; flushEvery?: number },
  ) {
    super();
    this.store = store;
    this.name = opts.name;
    this.params = opts.params ?? {};
    this.flushEvery = opts.flushEvery ?? 20;
  }

  override onTrainBegin(): void {
    this.runId = this.store.createRun(this.name, this.params);
  }
  override onEpochBegin(): void {
    this.epochStart = performance.now();
    this.samples = 0;
  }
  override onTrainBatchEnd(_b: number, logs: Logs): void {
    this.samples += logs.size ?? 0;
    if (logs.loss !== undefined)
      this.pending.push({ key: 'loss', scope: 'step', step: this.globalStep, value: logs.loss });
    this.globalStep++;
    if (this.pending.length >= this.flushEvery) this.flush();
  }
  override onEpochEnd(epoch: number, logs: Logs): void {
    for (const [key, value] of Object.entries(logs))
      this.pending.push({ key, scope: 'epoch', step: epoch, value });
    const secs = (performance.now() - this.epochStart) / 1000;
    if (secs > 0)
      this.pending.push({ key: 'samples_per_sec', scope: 'system', step: epoch, value: this.samples / secs });
    this.pending.push({
      key: 'heap_mb',
      scope: 'system',
      step: epoch,
      value: process.memoryUsage().heapUsed / 2 ** 20,
    });
    this.flush();
  }
  override onTrainEnd(): void {
    this.flush();
    if (this.runId !== null) this.store.finishRun(this.runId, 'finished');
  }
  private flush(): void {
    if (this.runId === null || this.pending.length === 0) return;
    this.store.logMetrics(this.runId, this.pending);
    this.pending = [];
  }
}
