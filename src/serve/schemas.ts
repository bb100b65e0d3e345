/**
 * JSON Schemas of the request bodies, checked by fastify's ajv before a handler runs. They check
 * structure only; element types are checked while the data is copied into typed arrays (one pass).
 */

const parameters = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean'] },
} as const;

/** `$inference_request` of the Open Inference Protocol. Unknown extra fields are allowed (extensions). */
export const inferRequestSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string', maxLength: 1024 },
    parameters,
    inputs: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        type: 'object',
        // `data` may be absent when the tensor travels as binary (`parameters.binary_data_size`).
        required: ['name', 'shape', 'datatype'],
        properties: {
          name: { type: 'string', maxLength: 256 },
          shape: { type: 'array', maxItems: 32, items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string', maxLength: 16 },
          parameters,
          data: { type: 'array' },
        },
      },
    },
    outputs: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', maxLength: 256 }, parameters },
      },
    },
  },
} as const;

/** KServe v1 `{ "instances": [...] }`. */
export const predictRequestSchema = {
  type: 'object',
  required: ['instances'],
  properties: { instances: { type: 'array', minItems: 1 } },
} as const;

export interface InferRequestBody {
  id?: string;
  parameters?: Record<string, string | number | boolean>;
  inputs: {
    name: string;
    shape: number[];
    datatype: string;
    parameters?: Record<string, string | number | boolean>;
    data?: unknown[];
  }[];
  outputs?: { name: string; parameters?: Record<string, string | number | boolean> }[];
}

export interface PredictRequestBody {
  instances: unknown[];
}
