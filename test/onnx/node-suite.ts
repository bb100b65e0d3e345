// Runs the ONNX backend node tests (Debian's libonnx-testdata, ONNX 1.12) through the importer.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../src/index.ts';
import { decodeTensor, IntList } from '../../src/onnx/import-values.ts';
import { decodeModel, decodeTensorProto, importModel, supportedOps } from '../../src/onnx/index.ts';

export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

export interface CaseResult {
  name: string;
  op: string;
  ok: boolean;
  detail: string;
}

/** The cases whose graph is one node of an op the importer claims, grouped by that op. */
export function claimedCases(): { name: string; op: string }[] {
  if (!existsSync(NODE_TESTS)) return [];
  const claimed = new Set(supportedOps());
  const out: { name: string; op: string }[] = [];
  for (const name of readdirSync(NODE_TESTS).sort()) {
    const path = join(NODE_TESTS, name, 'model.onnx');
    if (!existsSync(path)) continue;
    const nodes = decodeModel(readFileSync(path)).graph?.node ?? [];
    if (nodes.length === 1 && claimed.has(nodes[0]!.opType ?? '') && !nodes[0]!.domain)
      out.push({ name, op: nodes[0]!.opType! });
  }
  return out;
}

function values(v: Tensor | IntList): { data: number[]; dims: number[] } {
  return v instanceof IntList
    ? { data: v.values, dims: v.dims }
    : { data: Array.from(v.toTypedArray() as ArrayLike<number>), dims: [...v.shape] };
}

/** Runs one case: every test_data_set_*; outputs within atol 1e-4 + rtol 1e-3 (float32 arithmetic). */
export function runCase(name: string, op: string): CaseResult {
  const dir = join(NODE_TESTS, name);
  try {
    const m = importModel(readFileSync(join(dir, 'model.onnx')), { source: name });
    for (const set of readdirSync(dir).filter((d) => d.startsWith('test_data_set_'))) {
      const read = (prefix: string) =>
        readdirSync(join(dir, set))
          .filter((f) => f.startsWith(prefix))
          .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
          .map((f) => decodeTensor(decodeTensorProto(readFileSync(join(dir, set, f)), f), `${name}/${f}`));
      const inputs = read('input_');
      const expected = read('output_');
      const feeds: Record<string, Tensor> = {};
      m.inputNames.forEach((n, i) => {
        const v = inputs[i]!;
        // Integer inputs (indices) arrive as int32 tensors, as the library's index ops take them.
        feeds[n] = v instanceof IntList ? intTensor(v) : v;
      });
      const got = m.run(feeds);
      for (let k = 0; k < expected.length; k++) {
        const want = values(expected[k]!);
        const have = values(got[m.outputNames[k]!]!);
        if (want.dims.join(',') !== have.dims.join(','))
          return { name, op, ok: false, detail: `output ${k} shape [${have.dims}] != [${want.dims}]` };
        for (let i = 0; i < want.data.length; i++) {
          const d = Math.abs(have.data[i]! - want.data[i]!);
          if (
            !(d <= 1e-4 + 1e-3 * Math.abs(want.data[i]!)) &&
            !(Number.isNaN(want.data[i]) && Number.isNaN(have.data[i]))
          )
            return { name, op, ok: false, detail: `output ${k}[${i}] ${have.data[i]} != ${want.data[i]}` };
        }
      }
    }
    return { name, op, ok: true, detail: '' };
  } catch (e) {
    return { name, op, ok: false, detail: (e as Error).message.slice(0, 200) };
  }
}

import { tensor } from '../../src/index.ts';

function intTensor(v: IntList): Tensor {
  return tensor(Int32Array.from(v.values), { shape: v.dims, dtype: 'int32' });
}
