#!/usr/bin/env bash
# Compiles and runs the CPU probes behind figures in docs/performance.md and docs/kernels.md that
# no bench of the engine measures (L3 bandwidth, bf16 instruction rates and rounding order, AMX
# tile alignment). Each is a standalone program: rustc -O, no dependencies. x86-64 only; a probe
# whose instructions the CPU lacks dies with SIGILL and the script goes on. Not run by CI.
set -uo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { echo "== $*"; "$out/$1" "${@:2}" || echo "(failed: $1 needs an instruction this CPU lacks?)"; }
for p in l3_bandwidth l3_streams prefetch_rate fma_vs_bf16_rate vdpbf16ps_order tdpbf16ps_order amx_tile_alignment; do
  rustc -O --edition 2021 "$p.rs" -o "$out/$p" || exit 1
done
run l3_bandwidth
run l3_streams
run prefetch_rate
run fma_vs_bf16_rate
run vdpbf16ps_order
run tdpbf16ps_order
run amx_tile_alignment 0
run amx_tile_alignment 48
