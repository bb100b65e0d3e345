import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ts from '../../src/index.ts';
import {
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
  serializeSafetensors,
} from '../../src/io/index.ts';
import * as nn from '../../src/nn/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ts-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'golden', 'nn');

test('round trip keeps keys, dtypes, shapes, values and metadata; data starts 8-byte aligned', () => {
  const tensors = {
    'a.weight': ts.tensor([
      [1.5, -2],
      [3, Number.NaN],
    ]),
    b: ts.tensor([1e-300, -0, Number.POSITIVE_INFINITY], { dtype: 'float64' }),
    count: ts.tensor(7, { dtype: 'int32' }),
    mask: ts.tensor([true, false, true]),
    empty: ts.zeros([0, 3]),
  };
  const bytes = serializeSafetensors(tensors, { format: 'pt' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.__metadata__, { format: 'pt' });
  assert.deepEqual(header['a.weight'], { dtype: 'F32', shape: [2, 2], data_offsets: [24, 40] });
  assert.equal(header.b.dtype, 'F64');
  assert.equal(header.count.dtype, 'I32');
  assert.deepEqual(header.count.shape, []);
  assert.equal(header.mask.dtype, 'BOOL');
  const path = join(dir, 'rt.safetensors');
  saveSafetensors(path, tensors, { format: 'pt' });
  const back = loadSafetensors(path);
  assert.deepEqual(back.metadata, { format: 'pt' });
  assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
  for (const [k, t] of Object.entries(tensors)) {
    const b = back.tensors[k]!;
    assert.equal(b.dtype, t.dtype, k);
    assert.deepEqual(b.shape, t.shape, k);
    assert.deepEqual(
      Array.from(b.toTypedArray() as ArrayLike<number>),
      Array.from(t.toTypedArray() as ArrayLike<number>),
      k,
    );
  }
  assert.ok(Object.is(back.tensors.b!.toTypedArray()[1], -0));
  // No temp files left behind by the atomic write.
  assert.deepEqual(readdirSync(dir), ['rt.safetensors']);
});

test('a PyTorch-written state dict (I64 num_batches_tracked) loads with identical values and runs the same', () => {
  const ref = JSON.parse(readFileSync(join(FIXTURE, 'torch_state.json'), 'utf8'));
  const { tensors, metadata } = loadSafetensors(join(FIXTURE, 'torch_state.safetensors'));
  assert.equal(metadata.format, 'pt');
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(ref.stateDict).sort());
  for (const [k, v] of Object.entries<{ shape: number[]; dtype: string; data: number[] }>(ref.stateDict)) {
    assert.deepEqual(tensors[k]!.shape, v.shape, k);
    assert.equal(tensors[k]!.dtype, v.dtype === 'F32' ? 'float32' : 'int32', k);
    assert.deepEqual(Array.from(tensors[k]!.toTypedArray() as ArrayLike<number>), v.data, k);
  }
  const model = new nn.Sequential(
    new nn.Linear(3, 4),
    new nn.BatchNorm1d(4),
    new nn.ReLU(),
    new nn.Linear(4, 2),
  );
  assert.deepEqual(model.loadStateDict(tensors), { missingKeys: [], unexpectedKeys: [] });
  model.eval();
  const x = ts.tensor(ref.evalInput.data, { shape: ref.evalInput.shape });
  const y = model.call(x).toTypedArray();
  ref.evalOutput.data.forEach((e: number, i: number) => {
    assert.ok(Math.abs(y[i]! - e) <= 1e-5 + 1e-5 * Math.abs(e));
  });
});

function withHeader(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('reads F16, BF16, I64 and U8; refuses I64 values beyond int32', () => {
  const data = new Uint8Array(2 + 2 + 16 + 1);
  const dv = new DataView(data.buffer);
  dv.setUint16(0, 0x3c00, true); // half 1.0
  dv.setUint16(2, 0xc040, true); // bf16 -3.0
  dv.setBigInt64(4, -5n, true);
  dv.setBigInt64(12, 2147483647n, true);
  data[20] = 200;
  const t = parseSafetensors(
    withHeader(
      {
        h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] },
        i: { dtype: 'I64', shape: [2], data_offsets: [4, 20] },
        u: { dtype: 'U8', shape: [1], data_offsets: [20, 21] },
      },
      data,
    ),
  ).tensors;
  assert.deepEqual(t.h!.toArray(), [1]);
  assert.deepEqual(t.b!.toArray(), [-3]);
  assert.deepEqual(t.i!.toArray(), [-5, 2147483647]);
  assert.equal(t.i!.dtype, 'int32');
  assert.deepEqual(t.u!.toArray(), [200]);
  dv.setBigInt64(12, 2147483648n, true);
  assert.throws(
    () =>
      parseSafetensors(
        withHeader({ i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data.subarray(4, 20)),
      ),
    /\[loadSafetensors\] .*"i": I64 value 2147483648 at index 1 does not fit in int32/,
  );
});

test('malformed files are refused with a message naming the problem', () => {
  const four = new Uint8Array(4);
  assert.throws(() => parseSafetensors(new Uint8Array(3)), /too short/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1000n, true);
  assert.throws(() => parseSafetensors(huge), /header length 1000 exceeds the file/);
  assert.throws(() => parseSafetensors(withHeader([1, 2])), /header must be a JSON object/);
  assert.throws(
    () => parseSafetensors(withHeader({ x: { dtype: 'C64', shape: [1], data_offsets: [0, 4] } }, four)),
    /unsupported dtype "C64"/,
  );
  assert.throws(
    () => parseSafetensors(withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four)),
    /hold 4 bytes, shape \[2\] of F32 needs 8/,
  );
  assert.throws(
    () =>
      parseSafetensors(
        withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)),
      ),
    /cover 4 bytes of data but the file has 8/,
  );
  assert.throws(
    () =>
      parseSafetensors(
        withHeader(
          {
            x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
            y: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          },
          four,
        ),
      ),
    /holes or overlaps/,
  );
  assert.throws(
    () => parseSafetensors(withHeader({ __metadata__: { a: 1 } })),
    /__metadata__\.a must be a string/,
  );
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, new Uint8Array([1, 2]));
  assert.throws(() => loadSafetensors(bad), /\[loadSafetensors\] .*bad\.safetensors: file is 2 bytes/);
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /\[loadSafetensors\] cannot read/);
  assert.throws(
    () => serializeSafetensors({ __metadata__: ts.zeros([1]) }),
    /cannot be named "__metadata__"/,
  );
});

test('a failed save leaves the previous file intact and no temp file', () => {
  const path = join(dir, 'keep.safetensors');
  saveSafetensors(path, { a: ts.ones([2]) });
  const before = readFileSync(path);
  assert.throws(
    () => saveSafetensors(join(dir, 'no-such-dir', 'x.safetensors'), { a: ts.ones([1]) }),
    /\[writeFileAtomic\]/,
  );
  assert.throws(() => saveSafetensors(path, { a: 'x' as unknown as ts.Tensor }), /"a" is not a Tensor/);
  assert.deepEqual(readFileSync(path), before);
  assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')));
});
