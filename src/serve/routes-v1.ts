import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.ts';
import { checkImagePixels } from './image-header.ts';
import type { TensorData, TensorMap } from './model.ts';
import { checkPredictions, checkRecords } from './records.ts';
import type { ModelVersion } from './repository.ts';
import type { RouteContext } from './routes-v2.ts';
import { type PredictRequestBody, predictRequestSchema } from './schemas.ts';
import { checkFiniteOutput, decodeData, shapeSize, toJsonData } from './tensors.ts';

type Params = { name: string };
type Nested = unknown[] | number | boolean | string;

/** Row-major flat data back into nested arrays of `shape`. */
function nest(flat: unknown[], shape: readonly number[], offset = 0): Nested {
  if (shape.length === 0) return flat[offset] as Nested;
  const inner = shape.slice(1);
  const step = shapeSize(inner);
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat, inner, offset + i * step));
}

/**
 * KServe v1 for a model without record preprocessing: each instance is one sample of the model's single
 * input; each prediction is that sample's output row (an object of outputs when there are several).
 */
async function predictTensors(
  ctx: RouteContext,
  entry: ModelVersion,
  instances: unknown[],
): Promise<unknown[]> {
  const op = 'predict';
  const model = entry.model;
  const where = `model '${entry.name}'`;
  if (model.inputs.length !== 1) {
    badRequest(
      op,
      `${where} takes ${model.inputs.length} inputs and has no record preprocessing; use POST /v2/models/${entry.name}/infer`,
    );
  }
  const spec = model.inputs[0]!;
  const per = spec.shape.slice(1);
  if (spec.shape[0] !== -1 || per.includes(-1)) {
    badRequest(
      op,
      `${where} input '${spec.name}' has shape [${spec.shape.join(',')}]; v1 instances need a batch dimension followed by fixed ones; use POST /v2/models/${entry.name}/infer`,
    );
  }
  const rowSize = shapeSize(per);
  const parts: TensorData[] = instances.map((inst, i) =>
    decodeData(op, `${where} instance ${i}`, spec.datatype, per, Array.isArray(inst) ? inst : [inst]),
  );
  let data: TensorData;
  if (spec.datatype === 'BYTES') data = (parts as string[][]).flat();
  else {
    const first = parts[0] as Exclude<TensorData, string[]>;
    const Ctor = first.constructor as new (n: number) => Exclude<TensorData, string[]>;
    const joined = new Ctor(rowSize * parts.length);
    parts.forEach((p, i) => {
      joined.set(p as never, i * rowSize);
    });
    data = joined;
  }
  const inputs: TensorMap = { [spec.name]: { data, shape: [instances.length, ...per] } };
  const release = ctx.admit(op);
  let out: TensorMap;
  try {
    out = await entry.batcher.submit(inputs, instances.length, ctx.requestTimeoutMs);
  } finally {
    release();
  }
  const rows = model.outputs.map((o) => {
    const t = out[o.name]!;
    checkFiniteOutput(op, o.name, t.data, [spec.name], shapeSize(t.shape.slice(1)));
    return { name: o.name, flat: toJsonData(t.data), shape: t.shape.slice(1) };
  });
  return instances.map((_, i) => {
    const row = (r: (typeof rows)[number]) => nest(r.flat, r.shape, i * shapeSize(r.shape));
    if (rows.length === 1) return row(rows[0]!);
    return Object.fromEntries(rows.map((r) => [r.name, row(r)]));
  });
}

export function registerV1(app: FastifyInstance, ctx: RouteContext): void {
  const repo = ctx.repository;

  app.get<{ Params: Params }>('/v1/models/:name', async (req) => {
    const entry = repo.resolve('status', req.params.name);
    return { name: req.params.name, ready: !ctx.isClosing() && entry.state === 'ready' };
  });

  const predict = async (req: { params: Params; body: PredictRequestBody }) => {
    const entry = repo.resolve('predict', req.params.name);
    const instances = req.body.instances;
    // Image headers first: a decompression bomb is refused before anything decodes it.
    checkImagePixels('predict', instances, ctx.maxImagePixels);
    if (entry.model.records !== undefined) checkRecords('predict', entry.model.records, instances);
    if (entry.recordBatcher === undefined) {
      const predictions = await predictTensors(ctx, entry, instances);
      return { model_name: req.params.name, model_version: entry.version, predictions };
    }
    const release = ctx.admit('predict');
    try {
      const preds = await entry.recordBatcher.submit(instances, instances.length, ctx.requestTimeoutMs);
      checkPredictions('predict', preds);
      ctx.drift?.observe(entry.model, instances, preds);
      return { model_name: req.params.name, model_version: entry.version, predictions: preds };
    } finally {
      release();
    }
  };
  const opts = { schema: { body: predictRequestSchema }, config: { op: 'predict' } };
  app.post<{ Params: Params; Body: PredictRequestBody }>('/v1/models/:name/predict', opts, predict);
  // KServe's own spelling of the same endpoint; its metrics label is the pattern as documented, not
  // the router's regular-expression syntax.
  app.post<{ Params: Params; Body: PredictRequestBody }>(
    '/v1/models/:name(^[^:/]+)::predict',
    { ...opts, config: { op: 'predict', route: '/v1/models/:name:predict' } },
    predict,
  );
}
