// Rewrites clang 14's pre-standard relaxed-SIMD fused multiply-add (f32x4.fma, 0xfd 0xaf 0x01) into the
// standard f32x4.relaxed_madd (0xfd 0x85 0x02) that V8 implements. Both compute a*b+c from stack order
// a b c and have the same length, so only those three bytes change. The sites come from llvm-objdump's
// disassembly (offsets within the code section), never from a byte search, so an immediate that happens
// to contain the same bytes is left alone.
// Usage: node scripts/patch-relaxed-simd.mjs <llvm-objdump> <file.wasm>
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [objdump, file] = process.argv.slice(2);
const bytes = readFileSync(file);

function leb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result >>> 0, pos];
  }
}

let pos = 8;
let codeStart = -1;
while (pos < bytes.length) {
  const id = bytes[pos];
  const [size, start] = leb(bytes, pos + 1);
  if (id === 10) codeStart = start;
  pos = start + size;
}
if (codeStart < 0) throw new Error(`[patch-relaxed-simd] ${file}: no code section`);

const listing = execFileSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
let count = 0;
for (const line of listing.split('\n')) {
  const m = /^\s*([0-9a-f]+):\s+fd af 01\s+f32x4\.fma\b/.exec(line);
  if (m === null) continue;
  const at = codeStart + Number.parseInt(m[1], 16);
  if (bytes[at] !== 0xfd || bytes[at + 1] !== 0xaf || bytes[at + 2] !== 0x01) {
    throw new Error(`[patch-relaxed-simd] ${file}: expected fd af 01 at byte ${at}`);
  }
  bytes[at + 1] = 0x85;
  bytes[at + 2] = 0x02;
  count++;
}
if (/\t(f32x4\.fms|f64x2\.fm[as]|\w+\.relaxed_\w+|\w+\.laneselect|\w+\.dot_i8x16\w*)\b/.test(listing)) {
  throw new Error(
    `[patch-relaxed-simd] ${file}: other pre-standard relaxed instructions present; extend the patcher`,
  );
}
writeFileSync(file, bytes);
console.log(`[patch-relaxed-simd] ${file}: ${count} f32x4.fma -> f32x4.relaxed_madd`);
