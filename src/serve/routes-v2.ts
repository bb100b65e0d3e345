import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.ts';
import type { TensorMap, TensorSpec } from './model.ts';
import type { ModelRepository, ModelVersion } from './repository.ts';
import { type InferRequestBody, inferRequestSchema } from './schemas.ts';
import { decodeInput, toJsonData } from './tensors.ts';

export interface RouteContext {
  readonly repository: ModelRepository;
  readonly serverName: string;
  readonly serverVersion: string;
  /** Per-request inference deadline in ms (answers 504 after it). */
  readonly requestTimeoutMs: number;
  /** Takes a slot of the concurrency limit or throws 503; call the returned function when done. */
  admit(op: string): () => void;
  isClosing(): boolean;
}

type Params = { name: string; version?: string };

function metadataTensor(s: TensorSpec): { name: string; datatype: string; shape: number[] } {
  return { name: s.name, datatype: s.datatype, shape: [...s.shape] };
}

/** Parameters of Triton's binary tensor extension, which this server does not speak. */
function refuseBinary(
  op: string,
  where: string,
  p: Record<string, unknown> | undefined,
  keys: string[],
): void {
  if (p === undefined) return;
  for (const k of keys) {
    if (p[k] !== undefined && p[k] !== false) {
      badRequest(
        op,
        `${where} parameter '${k}' asks for binary tensor data, which this server does not support; send and request JSON tensors`,
      );
    }
  }
}

/**
 * Checks an inference request against the model and converts its tensors. Synchronous on purpose:
 * resolving the version and queueing the request must happen in one tick (see ModelRepository).
 */
export function decodeInferRequest(
  entry: ModelVersion,
  body: InferRequestBody,
): { inputs: TensorMap; rows: number; outputs: readonly TensorSpec[] } {
  const op = 'infer';
  const model = entry.model;
  const where = `model '${entry.name}'`;
  refuseBinary(op, 'request', body.parameters, ['binary_data_output']);
  const byName = new Map<string, InferRequestBody['inputs'][number]>();
  for (const t of body.inputs) {
    if (byName.has(t.name)) badRequest(op, `${where}: input '${t.name}' is given twice`);
    byName.set(t.name, t);
  }
  const expected = model.inputs.map((s) => `'${s.name}'`).join(', ');
  for (const n of byName.keys()) {
    if (!model.inputs.some((s) => s.name === n))
      badRequest(op, `${where}: unknown input '${n}'; the model takes ${expected}`);
  }
  const inputs: TensorMap = {};
  let rows = 1;
  let first: string | undefined;
  for (const spec of model.inputs) {
    const t = byName.get(spec.name);
    if (t === undefined)
      badRequest(op, `${where}: missing input '${spec.name}'; the model takes ${expected}`);
    refuseBinary(op, `input '${spec.name}'`, t.parameters, ['binary_data_size', 'shared_memory_region']);
    inputs[spec.name] = decodeInput(op, spec, t);
    if (spec.shape[0] === -1 && t.shape.length > 0) {
      const n = t.shape[0]!;
      if (first === undefined) {
        first = spec.name;
        rows = n;
      } else if (n !== rows) {
        badRequest(
          op,
          `${where}: inputs disagree on batch size: '${first}' has ${rows}, '${spec.name}' has ${n}`,
        );
      }
    }
  }
  let outputs: readonly TensorSpec[] = model.outputs;
  if (body.outputs !== undefined && body.outputs.length > 0) {
    const seen = new Set<string>();
    outputs = body.outputs.map((o) => {
      const spec = model.outputs.find((s) => s.name === o.name);
      if (spec === undefined) {
        badRequest(
          op,
          `${where}: unknown output '${o.name}'; the model gives ${model.outputs.map((s) => `'${s.name}'`).join(', ')}`,
        );
      }
      if (seen.has(o.name)) badRequest(op, `${where}: output '${o.name}' is requested twice`);
      seen.add(o.name);
      refuseBinary(op, `output '${o.name}'`, o.parameters, ['binary_data', 'shared_memory_region']);
      return spec;
    });
  }
  return { inputs, rows, outputs };
}

export function registerV2(app: FastifyInstance, ctx: RouteContext): void {
  const repo = ctx.repository;

  // Health answers are the status code alone (200 true, 4xx false), with an empty body, per the protocol.
  app.get('/v2/health/live', async (_req, reply) => reply.code(200).send());
  app.get('/v2/health/ready', async (_req, reply) =>
    reply.code(!ctx.isClosing() && repo.allReady() ? 200 : 400).send(),
  );

  app.get('/v2', async () => ({
    name: ctx.serverName,
    version: ctx.serverVersion,
    extensions: [] as string[],
  }));

  const metadata = async (req: { params: Params }) => {
    const { name, version } = req.params;
    const entry = repo.resolve('metadata', name, version);
    return {
      name,
      versions: repo.versions(name),
      platform: entry.model.platform ?? 'tensorscript',
      inputs: entry.model.inputs.map(metadataTensor),
      outputs: entry.model.outputs.map(metadataTensor),
    };
  };
  app.get<{ Params: Params }>('/v2/models/:name', metadata);
  app.get<{ Params: Params }>('/v2/models/:name/versions/:version', metadata);

  const ready = async (req: { params: Params }, reply: { code(n: number): { send(): unknown } }) => {
    const entry = repo.resolve('ready', req.params.name, req.params.version);
    return reply.code(!ctx.isClosing() && entry.state === 'ready' ? 200 : 400).send();
  };
  app.get<{ Params: Params }>('/v2/models/:name/ready', ready);
  app.get<{ Params: Params }>('/v2/models/:name/versions/:version/ready', ready);

  const infer = async (req: { params: Params; body: InferRequestBody }) => {
    const { name, version } = req.params;
    const body = req.body;
    const entry = repo.resolve('infer', name, version);
    const { inputs, rows, outputs } = decodeInferRequest(entry, body);
    const release = ctx.admit('infer');
    let result: TensorMap;
    try {
      result = await entry.batcher.submit(inputs, rows, ctx.requestTimeoutMs);
    } finally {
      release();
    }
    return {
      model_name: name,
      model_version: entry.version,
      ...(body.id !== undefined ? { id: body.id } : {}),
      outputs: outputs.map((s) => {
        const t = result[s.name]!;
        return { name: s.name, datatype: s.datatype, shape: [...t.shape], data: toJsonData(t.data) };
      }),
    };
  };
  const inferOpts = { schema: { body: inferRequestSchema }, config: { op: 'infer' } };
  app.post<{ Params: Params; Body: InferRequestBody }>('/v2/models/:name/infer', inferOpts, infer);
  app.post<{ Params: Params; Body: InferRequestBody }>(
    '/v2/models/:name/versions/:version/infer',
    inferOpts,
    infer,
  );
}
