/** `onnx.exportModule`: a module -> ONNX bytes (or an atomically written .onnx file). */
import { noGrad } from '../autograd/node.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { didYouMean } from '../core/registry.ts';
import { writeFileAtomic } from '../io/safetensors.ts';
import type { AnyModule } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import { scope } from '../tensor/scope.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type ExportContext, exportRuleFor } from './export-rules.ts';
import { type Dim, GraphBuilder } from './graph-builder.ts';
import { ElemType } from './proto.ts';

export interface ExportOptions {
  /** ai.onnx opset, 17 to 20. Default 17. */
  opset?: number;
  /** Input axes that vary, by index, with their symbolic names. Default `{0: 'batch'}`; `{}` = all fixed. */
  dynamicAxes?: Record<number, string>;
  /** Input element type: 'float32', or 'int32' for token ids (a model starting with an Embedding). */
  inputDType?: 'float32' | 'int32';
  inputName?: string;
  outputName?: string;
  /** Also write the bytes to this path (atomically). */
  path?: string;
}

const OPTION_KEYS = ['opset', 'dynamicAxes', 'inputDType', 'inputName', 'outputName', 'path'];
export const MIN_EXPORT_OPSET = 17;
export const MAX_EXPORT_OPSET = 20;

/** Modules in the tree without an export rule (containers are looked into, leaf rules are not). */
function unsupportedModules(m: AnyModule, key: string, out: string[]): void {
  const rule = exportRuleFor(m);
  if (rule === undefined) {
    out.push(`${key === '' ? '(root)' : key}: ${m.constructor.name}`);
    return;
  }
  if (rule.container)
    for (const [k, c] of m.namedChildren()) unsupportedModules(c, key === '' ? k : `${key}.${k}`, out);
}

function floatData(t: Tensor): Float32Array {
  const a = t.toTypedArray();
  return a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>);
}

/**
 * Exports `module` (in eval mode: dropout off, batch norm on running statistics) for inputs shaped like
 * `sampleInputShape` to ONNX at the given opset, with dynamic axes; returns the model bytes. Initializers
 * are named by state-dict key (`features.0.weight`), so weights stay recognisable in the file.
 */
export function exportModule(
  module: AnyModule,
  sampleInputShape: readonly number[],
  opts: ExportOptions = {},
): Uint8Array {
  for (const k of Object.keys(opts))
    if (!OPTION_KEYS.includes(k)) fail('onnx.export', `unknown option "${k}"${didYouMean(k, OPTION_KEYS)}`);
  const opset = opts.opset ?? 17;
  check(
    Number.isInteger(opset) && opset >= MIN_EXPORT_OPSET && opset <= MAX_EXPORT_OPSET,
    'onnx.export',
    () => `opset must be an integer from ${MIN_EXPORT_OPSET} to ${MAX_EXPORT_OPSET}, got ${opset}`,
  );
  check(
    sampleInputShape.length > 0 && sampleInputShape.every((d) => Number.isInteger(d) && d > 0),
    'onnx.export',
    () => `sampleInputShape must be positive integers, got ${fmtShape(sampleInputShape)}`,
  );
  const dynamic = opts.dynamicAxes ?? { 0: 'batch' };
  for (const a of Object.keys(dynamic))
    check(
      Number(a) >= 0 && Number(a) < sampleInputShape.length,
      'onnx.export',
      () => `dynamicAxes: axis ${a} is outside the ${sampleInputShape.length}-D input`,
    );
  const bad: string[] = [];
  unsupportedModules(module, '', bad);
  if (bad.length > 0)
    fail('onnx.export', `no ONNX export rule for ${bad.length} module(s): ${bad.join(', ')}`);

  const inputDType = opts.inputDType ?? 'float32';
  const g = new GraphBuilder('tensorscript');
  const inputName = g.addInput(
    opts.inputName ?? 'input',
    inputDType === 'int32' ? ElemType.INT32 : ElemType.FLOAT,
    sampleInputShape.map((d, i): Dim => dynamic[i] ?? d),
  );
  const wasTraining = module.training;
  module.eval();
  try {
    const bytes = scope(() =>
      noGrad(() => {
        const size = sampleInputShape.reduce((a, b) => a * b, 1);
        // Zero ids are always valid for an Embedding; zeros are as good as any value for shapes.
        const sample = tensor(inputDType === 'int32' ? new Int32Array(size) : new Float32Array(size), {
          shape: sampleInputShape,
        });
        const emit = (
          m: AnyModule,
          prefix: string,
          x: string,
          s: Tensor,
        ): { name: string; sample: Tensor } => {
          const rule = exportRuleFor(m);
          if (rule === undefined) fail('onnx.export', `no ONNX export rule for ${m.constructor.name}`);
          const ctx: ExportContext = {
            g,
            opset,
            emit: (child, key, cx, cs) => emit(child, prefix === '' ? key : `${prefix}.${key}`, cx, cs),
            param: (key, t) => g.addFloat(prefix === '' ? key : `${prefix}.${key}`, t.shape, floatData(t)),
          };
          const name = rule.emit(ctx, m, x, s);
          // Recurrent layers return [output, state]: the graph carries the output sequence on.
          const raw = (m as unknown as { call(t: Tensor): unknown }).call(s);
          const out = Array.isArray(raw) ? raw[0] : raw;
          if (!(out instanceof Tensor))
            fail('onnx.export', `${m.constructor.name} does not return a tensor; it cannot be chained`);
          return { name, sample: out as Tensor };
        };
        const outputName = g.reserve(opts.outputName ?? 'output');
        const { name, sample: out } = emit(module, '', inputName, sample);
        // The last node writes the graph output directly (no trailing Identity).
        const last = g.nodes.at(-1);
        let finalName = name;
        if (last !== undefined && last.output?.[0] === name && name !== inputName) {
          last.output[0] = outputName;
          finalName = outputName;
        } else finalName = g.addNode('Identity', [name], {}, { outputs: [outputName] })[0]!;
        // An output axis is dynamic when an input axis of the same index is and the sizes agree.
        const outDims = out.shape.map(
          (d, i): Dim => (dynamic[i] !== undefined && sampleInputShape[i] === d ? dynamic[i]! : d),
        );
        g.addOutput(finalName, out.dtype === 'int32' ? ElemType.INT32 : ElemType.FLOAT, outDims);
        return g.toBytes({ opset });
      }),
    );
    if (opts.path !== undefined) writeFileAtomic(opts.path, bytes);
    return bytes;
  } finally {
    module.train(wasTraining);
  }
}
