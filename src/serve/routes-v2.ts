import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DriftMonitors } from '../monitor/serve-drift.ts';
import { binaryOf, decodeBinary, encodeBinary, HEADER_LENGTH, sliceBinary } from './binary.ts';
import { badRequest } from './errors.ts';
import type { TensorMap, TensorSpec } from './model.ts';
import type { ModelRepository, ModelVersion } from './repository.ts';
import { type InferRequestBody, inferRequestSchema } from './schemas.ts';
import { checkFiniteOutput, decodeInput, shapeSize, toJsonData } from './tensors.ts';

export interface RouteContext {
  readonly repository: ModelRepository;
  readonly serverName: string;
  readonly serverVersion: string;
  /** Per-request inference deadline in ms (answers 504 after it). */
  readonly requestTimeoutMs: number;
  /** Most image pixels (width x height, summed over a request's images) a v1 request may carry. */
  readonly maxImagePixels: number;
  /** Takes a slot of the concurrency limit or throws 503; call the returned function when done. */
  admit(op: string): () => void;
  isClosing(): boolean;
  /** Drift monitoring of v1 records and predictions; absent when turned off (ServerOptions.drift false). */
  readonly drift?: DriftMonitors;
}

type Params = { name: string; version?: string };

function metadataTensor(s: TensorSpec): { name: string; datatype: string; shape: number[] } {
  return { name: s.name, datatype: s.datatype, shape: [...s.shape] };
}

/** Triton's shared-memory extension needs a shared address space with the client: not offered. */
function refuseShm(op: string, where: string, p: Record<string, unknown> | undefined): void {
  if (p?.shared_memory_region !== undefined) {
    badRequest(
      op,
      `${where} parameter 'shared_memory_region' asks for the shared-memory extension, which this server does not support`,
    );
  }
}

/** A boolean parameter, or undefined when absent; any other type is a 400. */
function flag(
  op: string,
  where: string,
  key: string,
  p: Record<string, unknown> | undefined,
): boolean | undefined {
  const v = p?.[key];
  if (v === undefined || typeof v === 'boolean') return v;
  badRequest(op, `${where} '${key}' must be true or false, got ${JSON.stringify(v)}`);
}

/**
 * Checks an inference request against the model and converts its tensors. Synchronous on purpose:
 * resolving the version and queueing the request must happen in one tick (see ModelRepository).
 */
export function decodeInferRequest(
  entry: ModelVersion,
  body: InferRequestBody,
  binary?: Buffer,
): { inputs: TensorMap; rows: number; outputs: readonly { spec: TensorSpec; binary: boolean }[] } {
  const op = 'infer';
  const model = entry.model;
  const where = `model '${entry.name}'`;
  const slices = sliceBinary(op, body.inputs, binary);
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
    refuseShm(op, `input '${spec.name}'`, t.parameters);
    const bytes = slices.get(spec.name);
    inputs[spec.name] = decodeInput(
      op,
      spec,
      t,
      bytes === undefined ? undefined : (what, dt, shape) => decodeBinary(op, what, dt, shape, bytes),
    );
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
  // binary_data on an output overrides the request-wide binary_data_output.
  const allBinary = flag(op, 'request parameter', 'binary_data_output', body.parameters) ?? false;
  let outputs = model.outputs.map((spec) => ({ spec, binary: allBinary }));
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
      refuseShm(op, `output '${o.name}'`, o.parameters);
      return {
        spec,
        binary: flag(op, `output '${o.name}' parameter`, 'binary_data', o.parameters) ?? allBinary,
      };
    });
  }
  return { inputs, rows, outputs };
}

/** Values per row of a batched output (the whole tensor for a scalar). */
function rowSize(shape: readonly number[]): number | undefined {
  return shape.length > 1 ? shapeSize(shape.slice(1)) : undefined;
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
    extensions: ['binary_tensor_data'],
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

  const infer = async (
    req: FastifyRequest<{ Params: Params; Body: InferRequestBody }>,
    reply: FastifyReply,
  ) => {
    const { name, version } = req.params;
    const body = req.body;
    const entry = repo.resolve('infer', name, version);
    const { inputs, rows, outputs } = decodeInferRequest(entry, body, binaryOf(req));
    const release = ctx.admit('infer');
    let result: TensorMap;
    try {
      result = await entry.batcher.submit(inputs, rows, ctx.requestTimeoutMs);
    } finally {
      release();
    }
    const blobs: Buffer[] = [];
    const answer = {
      model_name: name,
      model_version: entry.version,
      ...(body.id !== undefined ? { id: body.id } : {}),
      outputs: outputs.map(({ spec, binary }) => {
        const t = result[spec.name]!;
        checkFiniteOutput('infer', spec.name, t.data, Object.keys(inputs), rowSize(t.shape));
        const head = { name: spec.name, datatype: spec.datatype, shape: [...t.shape] };
        if (!binary) return { ...head, data: toJsonData(t.data) };
        const blob = encodeBinary(t.data);
        blobs.push(blob);
        return { ...head, parameters: { binary_data_size: blob.length } };
      }),
    };
    if (blobs.length === 0) return answer;
    const json = Buffer.from(JSON.stringify(answer), 'utf8');
    return reply
      .header('Content-Type', 'application/octet-stream')
      .header(HEADER_LENGTH, String(json.length))
      .send(Buffer.concat([json, ...blobs]));
  };
  const inferOpts = { schema: { body: inferRequestSchema }, config: { op: 'infer' } };
  app.post<{ Params: Params; Body: InferRequestBody }>('/v2/models/:name/infer', inferOpts, infer);
  app.post<{ Params: Params; Body: InferRequestBody }>(
    '/v2/models/:name/versions/:version/infer',
    inferOpts,
    infer,
  );
}
