/**
 * ONNX protobuf encode/decode through protobufjs with the official schema (src/onnx/onnx.proto). The
 * interfaces below describe the subset of ModelProto this library reads and writes; protobufjs fills in
 * the rest of the schema (unknown fields survive a decode/encode round trip only as far as they are listed).
 */
import protobuf from 'protobufjs';
import { fail } from '../core/errors.ts';
import { ONNX_PROTO } from './schema.ts';

/** TensorProto.DataType values used here. */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** AttributeProto.AttributeType values. */
export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

export interface TensorProto {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  rawData?: Uint8Array;
  name?: string;
}

export interface AttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
}

export interface DimensionProto {
  dimValue?: number;
  dimParam?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } } };
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

export interface ModelProto {
  irVersion?: number;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
}

let root: protobuf.Root | null = null;

/** A message type of the embedded schema (parsed once). */
function messageType(name: string): protobuf.Type {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: false }).root;
  return root.lookupType(name);
}
const modelProtoType = (): protobuf.Type => messageType('onnx.ModelProto');

/** Parses a serialised TensorProto (the .pb files of the ONNX backend tests). */
export function decodeTensorProto(bytes: Uint8Array, source = 'TensorProto'): TensorProto {
  const t = messageType('onnx.TensorProto');
  try {
    return t.toObject(t.decode(bytes), {
      longs: Number,
      bytes: Uint8Array as unknown as typeof String,
    }) as TensorProto;
  } catch (e) {
    fail('onnx.import', `${source} is not a valid TensorProto: ${(e as Error).message}`);
  }
}

/** Serialises a model to ONNX bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const t = modelProtoType();
  const err = t.verify(model);
  if (err !== null) fail('onnx.encode', `invalid ModelProto: ${err}`);
  const buf = t.encode(t.fromObject(model)).finish();
  // protobufjs hands back a Node Buffer; callers get a plain Uint8Array view of the same bytes.
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Parses ONNX bytes. Malformed or truncated input gives one error naming `source`; int64 fields arrive as
 * plain numbers (every int64 this library reads - dims, attributes, indices - fits in 2^53).
 */
export function decodeModel(bytes: Uint8Array, source = 'ONNX model'): ModelProto {
  const t = modelProtoType();
  let msg: protobuf.Message;
  try {
    msg = t.decode(bytes);
  } catch (e) {
    fail(
      'onnx.import',
      `${source} is not a valid ONNX protobuf (malformed or truncated): ${(e as Error).message}`,
    );
  }
  const obj = t.toObject(msg, {
    longs: Number,
    bytes: Uint8Array as unknown as typeof String,
    defaults: false,
  });
  return obj as ModelProto;
}
