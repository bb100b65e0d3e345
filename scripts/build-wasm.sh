#!/usr/bin/env bash
# Builds the wasm backend's kernels from src/backends/wasm/csrc into two modules:
#   kernels-simd.wasm     SIMD128 (every Node >= 16)
#   kernels-relaxed.wasm  SIMD128 + relaxed-SIMD fused multiply-add (chosen at load when the runtime has it)
# Needs clang, wasm-ld and llvm-objdump (Debian: apt-get install clang lld llvm). The output is
# byte-for-byte reproducible: no debug info, names or producer sections, sources passed by relative path.
# Usage: scripts/build-wasm.sh [output-dir]   (default: src/backends/wasm)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/src/backends/wasm}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
objdump="$(command -v llvm-objdump || command -v llvm-objdump-14 || echo /usr/lib/llvm-14/bin/llvm-objdump)"
cd "$root/src/backends/wasm/csrc"
sources=$(LC_ALL=C ls *.c)
common=(--target=wasm32 -msimd128 -matomics -mbulk-memory -mmutable-globals -O3 -ffreestanding -nostdlib
  -fno-ident -Wall -Werror
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296
  -Wl,--export=__heap_base -Wl,--export=__stack_pointer -Wl,-z,stack-size=65536 -Wl,--strip-all)
clang "${common[@]}" $sources -o "$out/kernels-simd.wasm"
clang "${common[@]}" -mrelaxed-simd -DTS_RELAXED $sources -o "$out/kernels-relaxed.wasm"
node "$root/scripts/patch-relaxed-simd.mjs" "$objdump" "$out/kernels-relaxed.wasm"
sha256sum "$out"/kernels-*.wasm | sed "s#$out/##"
