/** ONNX interchange: export of modules (opset 17+) and import of ONNX graphs as trainable modules. */
export { type ExportOptions, exportModule, MAX_EXPORT_OPSET, MIN_EXPORT_OPSET } from './export.ts';
export { type ExportContext, type ExportRule, exportRuleFor, registerExportRule } from './export-rules.ts';

import './export-transformer.ts';

export { type AttrValue, type Dim, GraphBuilder, type ModelOptions } from './graph-builder.ts';
export {
  type ImportOptions,
  importModel,
  loadOnnx,
  MAX_IMPORT_OPSET,
  MIN_IMPORT_OPSET,
  OnnxModel,
} from './import.ts';
export { supportedOps } from './import-ops.ts';
export {
  AttrType,
  decodeModel,
  decodeTensorProto,
  ElemType,
  encodeModel,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.ts';
