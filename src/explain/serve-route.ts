/**
 * `POST /v1/models/{name}/explain` with `{ instances: [...] }` (the v1 predict body): one explanation per
 * record (src/explain/saved.ts) from a model that offers `explainRecords`. Explanations cost tens to
 * thousands of forward passes each, so a request holds at most MAX_EXPLAIN_INSTANCES records and takes a
 * slot of the server's concurrency limit like any inference.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, ServeError } from '../serve/errors.ts';
import { checkImagePixels } from '../serve/image-header.ts';
import { checkRecords } from '../serve/records.ts';
import type { RouteContext } from '../serve/routes-v2.ts';
import { type PredictRequestBody, predictRequestSchema } from '../serve/schemas.ts';

export const MAX_EXPLAIN_INSTANCES = 16;

export function registerExplainRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Params: { name: string }; Body: PredictRequestBody }>(
    '/v1/models/:name/explain',
    { schema: { body: predictRequestSchema }, config: { op: 'explain' } },
    async (req) => {
      const entry = ctx.repository.resolve('explain', req.params.name);
      const model = entry.model;
      if (model.explainRecords === undefined)
        throw new ServeError(
          'explain',
          501,
          `model '${entry.name}' does not offer explanations (no explainRecords)`,
        );
      const instances = req.body.instances;
      if (instances.length > MAX_EXPLAIN_INSTANCES)
        badRequest(
          'explain',
          `at most ${MAX_EXPLAIN_INSTANCES} instances per request, got ${instances.length}`,
        );
      checkImagePixels('explain', instances, ctx.maxImagePixels);
      if (model.records !== undefined) checkRecords('explain', model.records, instances);
      const release = ctx.admit('explain');
      try {
        const explanations = await model.explainRecords(instances);
        return { model_name: entry.name, model_version: entry.version, explanations };
      } finally {
        release();
      }
    },
  );
}
