/** Model compression by quantization: int8 layers on integer kernels and the passes that produce them. */
export {
  type ConvertedLayer,
  type DynamicQuantType,
  formatReport,
  type KeptLayer,
  type QuantizationReport,
  type QuantizeDynamicOptions,
  type QuantizedModel,
  quantizeDynamic,
} from './dynamic.ts';
export { dynamicInt8Linear, int8Matmul, type PackedInt8Weights, packInt8Weights } from './int8-kernels.ts';
export type { ObserverKind, QParams } from './observers.ts';
export { convertQat, type PrepareQatOptions, prepareQat, type QatModel, type QatReport } from './qat.ts';
export { QatConv2d, QatLinear, type QatOptions } from './qat-layers.ts';
export { QuantizedEmbedding } from './quantized-embedding.ts';
export { QuantizedLinear } from './quantized-linear.ts';
export {
  type QuantizeStaticOptions,
  quantizeStatic,
  type StaticConvertedLayer,
  type StaticQuantizationReport,
  type StaticQuantizedModel,
} from './static.ts';
export {
  FusedReLU,
  StaticQuantizedConv2d,
  type StaticQuantizedConv2dOptions,
  StaticQuantizedLinear,
  type StaticQuantizedOptions,
} from './static-layers.ts';
