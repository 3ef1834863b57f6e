#!/bin/sh
# Builds wasm/usearch.wasm from wasm/src and the usearch headers in node_modules, byte for byte the same on
# every machine with Debian's clang-19, lld-19, wasi-libc and libc++-19-dev-wasm32 installed.
# Usage: scripts/build-wasm.sh [output path]   (default: wasm/usearch.wasm)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/wasm/usearch.wasm"}
cxx=${CLANG:-clang++-19}
command -v "$cxx" >/dev/null || { echo "build-wasm: $cxx not found (apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32)" >&2; exit 1; }
cd "$root"
"$cxx" --target=wasm32-wasi --sysroot=/usr \
  -std=c++17 -O3 -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext \
  -fno-exceptions -fno-rtti -g0 -ffile-prefix-map="$root"=. \
  -DNDEBUG -D_WASI_EMULATED_MMAN -DUSEARCH_USE_NUMKONG=0 -DUSEARCH_USE_OPENMP=0 -DUSEARCH_USE_FP16LIB=0 \
  -Iwasm/src -Inode_modules/usearch/include \
  -mexec-model=reactor -fuse-ld=lld \
  -Wl,--strip-all -Wl,--gc-sections -Wl,--no-entry -Wl,-z,stack-size=1048576 \
  -Wl,--initial-memory=4194304 -Wl,--max-memory=4294967296 \
  -o "$out" wasm/src/engram-usearch.cpp
echo "build-wasm: wrote $out ($(wc -c <"$out") bytes)"
