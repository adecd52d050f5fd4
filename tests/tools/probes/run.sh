#!/usr/bin/env bash
# Compiles and runs the CPU probes behind figures in docs/performance.md and docs/kernels.md that
# no bench of the engine measures (L3 bandwidth with 1-16 streams and software prefetch, the
# prefetch issue rate, prefetches paced through f32 work against bursts, whether part of the
# weights can stay in L2 while the rest streams (prefetchnta, cldemote), 4 KiB against 2 MiB
# pages, bf16 instruction rates and rounding order, whether the two CPUs share FMA
# units, AMX tile alignment). Each is a standalone program: rustc -O, no dependencies. x86-64 only; a probe
# whose instructions the CPU lacks dies with SIGILL and the script goes on. Not run by CI.
set -uo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { echo "== $*"; "$out/$1" "${@:2}" || echo "(failed: $1 needs an instruction this CPU lacks?)"; }
for p in l3_bandwidth l3_streams prefetch_rate prefetch_overlap l2_residency huge_pages fma_vs_bf16_rate vdpbf16ps_order tdpbf16ps_order amx_tile_alignment; do
  rustc -O --edition 2021 "$p.rs" -o "$out/$p" || exit 1
done
run l3_bandwidth
run l3_streams
run prefetch_rate
run prefetch_overlap
run l2_residency
run huge_pages
run fma_vs_bf16_rate
# The same on both CPUs at once: each at its full rate means two cores' FMA units; both at half
# means the two vCPUs sit on one core (SMT siblings, or a sibling busy with another guest).
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  echo "== fma_vs_bf16_rate on CPUs 0 and 1 at once"
  taskset -c 0 "$out/fma_vs_bf16_rate" > "$out/cpu0.txt" &
  taskset -c 1 "$out/fma_vs_bf16_rate" > "$out/cpu1.txt"
  wait
  sed 's/^/cpu0 /' "$out/cpu0.txt"; sed 's/^/cpu1 /' "$out/cpu1.txt"
fi
run vdpbf16ps_order
run tdpbf16ps_order
run amx_tile_alignment 0
run amx_tile_alignment 48
