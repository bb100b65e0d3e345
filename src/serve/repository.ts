import { check, fmtShape } from '../core/errors.ts';
import { Batcher, type BatchingOptions, ItemFailure } from './batcher.ts';
import { badRequest, notFound, ServeError } from './errors.ts';
import type { ServerMetrics } from './metrics.ts';
import type { RecordPrediction, ServedModel, TensorMap } from './model.ts';
import { DATATYPES, isBatchable } from './model.ts';
import { singleRunner, tensorBatchRunner } from './tensor-batch.ts';

/** Model names and versions as they may appear in a URL: no slashes, no `..`, nothing to escape. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkName(op: string, kind: 'model name' | 'version', s: string): void {
  if (typeof s !== 'string' || !NAME_RE.test(s) || s.includes('..')) {
    badRequest(
      op,
      `invalid ${kind} ${JSON.stringify(String(s).slice(0, 140))}: expected 1-128 characters from A-Z a-z 0-9 _ . - starting with a letter or digit, without '..'`,
    );
  }
}

export type VersionState = 'ready' | 'unloading';

/** One loaded version: the model, its batcher and whether it still takes requests. */
export class ModelVersion {
  state: VersionState = 'ready';
  readonly batcher: Batcher<TensorMap, TensorMap>;
  /** Batches raw records for `predictRecords`, when the model has it. */
  readonly recordBatcher: Batcher<readonly unknown[], RecordPrediction[]> | undefined;
  readonly loadedSeq: number;

  constructor(
    readonly name: string,
    readonly version: string,
    readonly model: ServedModel,
    batching: Partial<BatchingOptions>,
    seq: number,
    metrics: ServerMetrics | undefined,
  ) {
    this.loadedSeq = seq;
    const label = `model '${name}' version '${version}'`;
    const batchable = isBatchable(model);
    const runner = batchable ? tensorBatchRunner(model, label) : singleRunner(model, label);
    const labels = { model: name, version };
    const timed = metrics
      ? async (reqs: TensorMap[]) => {
          const end = metrics.inferSeconds.startTimer(labels);
          try {
            return await runner(reqs);
          } finally {
            end();
          }
        }
      : runner;
    this.batcher = new Batcher(label, timed, batchable ? batching : { ...batching, maxBatchSize: 1 }, {
      onBatch: metrics ? (rows) => metrics.batchSize.observe({ ...labels, kind: 'tensor' }, rows) : undefined,
      onQueueDepth: metrics ? (d) => metrics.queueDepth.set(labels, d) : undefined,
    });
    this.recordBatcher =
      model.predictRecords === undefined
        ? undefined
        : new Batcher(`${label} (records)`, recordRunner(model, label), batching, {
            onBatch: metrics
              ? (rows) => metrics.batchSize.observe({ ...labels, kind: 'records' }, rows)
              : undefined,
          });
  }

  /** Finishes everything queued on this version. */
  async drain(): Promise<void> {
    await Promise.all([this.batcher.drain(), this.recordBatcher?.drain()]);
  }
}

/**
 * Joins the records of several requests into one `predictRecords` call and splits the answer. When the
 * joined call rejects a record as a client error, each request is retried alone so only the request
 * with the bad record fails.
 */
function recordRunner(
  model: ServedModel,
  label: string,
): (reqs: (readonly unknown[])[]) => Promise<(RecordPrediction[] | ItemFailure)[]> {
  const one = async (records: readonly unknown[]): Promise<RecordPrediction[]> => {
    const preds = await model.predictRecords!(records);
    if (!Array.isArray(preds) || preds.length !== records.length) {
      throw new Error(
        `[predict] ${label} returned ${Array.isArray(preds) ? preds.length : typeof preds} predictions for ${records.length} records`,
      );
    }
    return preds;
  };
  return async (reqs) => {
    if (reqs.length === 1) return [await one(reqs[0]!)];
    let preds: RecordPrediction[];
    try {
      preds = await one(reqs.flat());
    } catch (err) {
      if (!(err instanceof ServeError && err.status < 500)) throw err;
      return Promise.all(reqs.map((r) => one(r).catch((e: unknown) => new ItemFailure(e))));
    }
    const out: RecordPrediction[][] = [];
    let start = 0;
    for (const r of reqs) {
      out.push(preds.slice(start, start + r.length));
      start += r.length;
    }
    return out;
  };
}

export interface LoadOptions {
  /** Batching settings for this version; unset fields take the server's defaults. */
  batching?: Partial<BatchingOptions>;
  /** Route unversioned requests to this version (default true: the newest load wins). */
  makeDefault?: boolean;
}

/**
 * The models a server knows, each with one or more versions. Requests that name no version go to the
 * default version. Loading a version never interrupts requests: the new version takes new requests at
 * once, and a version it replaces finishes its queued and running requests before it is disposed.
 */
export class ModelRepository {
  private readonly models = new Map<
    string,
    { versions: Map<string, ModelVersion>; defaultVersion: string }
  >();
  private seq = 0;
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly defaults: Partial<BatchingOptions> = {},
    private readonly metrics?: ServerMetrics,
  ) {}

  /** Loads `model` as `name`/`version`, replacing (after draining) a version already loaded there. */
  async loadVersion(
    name: string,
    version: string,
    model: ServedModel,
    options: LoadOptions = {},
  ): Promise<void> {
    checkName('loadVersion', 'model name', name);
    checkName('loadVersion', 'version', version);
    checkModel(model);
    const entry = new ModelVersion(
      name,
      version,
      model,
      { ...this.defaults, ...options.batching },
      ++this.seq,
      this.metrics,
    );
    let m = this.models.get(name);
    if (m === undefined) {
      m = { versions: new Map(), defaultVersion: version };
      this.models.set(name, m);
    }
    const old = m.versions.get(version);
    // Swap synchronously: a request resolved before this line finishes on `old`, one after on `entry`.
    m.versions.set(version, entry);
    if (options.makeDefault !== false || !m.versions.has(m.defaultVersion)) m.defaultVersion = version;
    if (old !== undefined) await this.retire(old, false);
  }

  /** Loads a model under its own name and version. */
  add(model: ServedModel, options?: LoadOptions): Promise<void> {
    return this.loadVersion(model.name, model.version, model, options);
  }

  /** Stops routing to a version, lets its requests finish, then disposes it. */
  async unloadVersion(name: string, version: string): Promise<void> {
    const entry = this.resolve('unloadVersion', name, version);
    const m = this.models.get(name)!;
    m.versions.delete(version);
    if (m.versions.size === 0) this.models.delete(name);
    else if (m.defaultVersion === version) m.defaultVersion = newest(m.versions).version;
    await this.retire(entry, true);
  }

  /** Unloads every version of a model. */
  async unloadModel(name: string): Promise<void> {
    const m = this.models.get(name);
    if (m === undefined) notFound('unloadModel', `unknown model '${name}'`);
    await Promise.all([...m.versions.keys()].map((v) => this.unloadVersion(name, v)));
  }

  setDefaultVersion(name: string, version: string): void {
    this.resolve('setDefaultVersion', name, version);
    this.models.get(name)!.defaultVersion = version;
  }

  /**
   * The version a request goes to; synchronous so that resolving and queueing happen in one tick and
   * a concurrent swap cannot slip between them. 404 for an unknown model or version.
   */
  resolve(op: string, name: string, version?: string): ModelVersion {
    checkName(op, 'model name', name);
    if (version !== undefined) checkName(op, 'version', version);
    const m = this.models.get(name);
    if (m === undefined) notFound(op, `unknown model '${name}'; loaded models: ${this.describeNames()}`);
    const v = version ?? m.defaultVersion;
    const entry = m.versions.get(v);
    if (entry === undefined) {
      notFound(
        op,
        `model '${name}' has no version '${v}'; loaded versions: ${[...m.versions.keys()].join(', ')}`,
      );
    }
    return entry;
  }

  /** Model names, sorted. */
  names(): string[] {
    return [...this.models.keys()].sort();
  }

  versions(name: string): string[] {
    const m = this.models.get(name);
    return m === undefined
      ? []
      : [...m.versions.values()].sort((a, b) => a.loadedSeq - b.loadedSeq).map((e) => e.version);
  }

  /** True when at least one model is loaded and every model's default version takes requests. */
  allReady(): boolean {
    if (this.models.size === 0) return false;
    for (const m of this.models.values())
      if (m.versions.get(m.defaultVersion)?.state !== 'ready') return false;
    return true;
  }

  /** Every loaded version, for draining at shutdown. */
  entries(): ModelVersion[] {
    return [...this.models.values()].flatMap((m) => [...m.versions.values()]);
  }

  /** Drains and disposes every version. Waits for versions already retiring too. */
  async close(): Promise<void> {
    const all = this.entries();
    this.models.clear();
    await Promise.all([...all.map((e) => this.retire(e, true)), ...this.retiring]);
  }

  private describeNames(): string {
    const names = this.names();
    return names.length === 0 ? '(none)' : names.join(', ');
  }

  private async retire(entry: ModelVersion, forget: boolean): Promise<void> {
    entry.state = 'unloading';
    const p = (async () => {
      await entry.drain();
      if (forget) this.metrics?.forgetVersion(entry.name, entry.version);
      await entry.model.dispose?.();
    })();
    this.retiring.add(p);
    try {
      await p;
    } finally {
      this.retiring.delete(p);
    }
  }
}

function newest(versions: Map<string, ModelVersion>): ModelVersion {
  let best: ModelVersion | undefined;
  for (const e of versions.values()) if (best === undefined || e.loadedSeq > best.loadedSeq) best = e;
  return best!;
}

/** Rejects a model whose metadata the server could not honour, before it takes traffic. */
function checkModel(model: ServedModel): void {
  const where = `model '${model?.name}'`;
  check(typeof model?.infer === 'function', 'loadVersion', () => `${where}: infer is not a function`);
  check(
    Array.isArray(model.inputs) && model.inputs.length > 0,
    'loadVersion',
    () => `${where}: declares no inputs`,
  );
  check(
    Array.isArray(model.outputs) && model.outputs.length > 0,
    'loadVersion',
    () => `${where}: declares no outputs`,
  );
  for (const group of [model.inputs, model.outputs]) {
    const seen = new Set<string>();
    for (const s of group) {
      check(!seen.has(s.name), 'loadVersion', () => `${where}: tensor '${s.name}' is declared twice`);
      seen.add(s.name);
      check(
        DATATYPES.includes(s.datatype),
        'loadVersion',
        () =>
          `${where}: tensor '${s.name}' has datatype ${s.datatype}, expected one of ${DATATYPES.join(', ')}`,
      );
      check(
        s.shape.every((d: number) => d === -1 || (Number.isInteger(d) && d >= 0)),
        'loadVersion',
        () =>
          `${where}: tensor '${s.name}' has shape ${fmtShape(s.shape)}; dimensions are integers >= 0 or -1`,
      );
    }
  }
}
