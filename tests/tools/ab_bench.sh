#!/usr/bin/env bash
# Two or more builds of `electra` alternating, round by round, on one model file: per build, the
# median over rounds of its median (and p10) time divided by the first build's. The speed ratios
# "against the previous build" in docs/performance.md and the notes come from this.
#   SEQ=16 T=1 N=10 IT=1500 FILE=small.elt bash tests/tools/ab_bench.sh OLD/electra NEW/electra
# A build may be a wrapper script that sets ELECTRA_ISA or another variable before exec.
set -euo pipefail
SEQ=${SEQ:-16}; T=${T:-1}; N=${N:-8}; IT=${IT:-1500}; FILE=${FILE:?FILE=model file}
bins=("$@")
for _ in $(seq "$N"); do
  line=""
  for b in "${bins[@]}"; do
    v=$("$b" bench "$FILE" --seq "$SEQ" --threads "$T" --iters "$IT" 2>/dev/null | tail -1 | sed 's/[a-z0-9_]*=//g' | cut -d' ' -f1,2)
    line="$line $v"
  done
  echo $line
done | awk -v n=${#bins[@]} '
  { print; for (j = 2; j <= n; j++) { m[j, NR] = $(2*j-1) / $1; p[j, NR] = $(2*j) / $2 } }
  function med(a, j, k,   i, x, c, t, s) { c = 0; for (i = 1; i <= k; i++) x[++c] = a[j, i];
    for (i = 1; i <= c; i++) for (s = i + 1; s <= c; s++) if (x[s] < x[i]) { t = x[i]; x[i] = x[s]; x[s] = t }
    return x[int((c + 1) / 2)] }
  END { for (j = 2; j <= n; j++) printf "build %d vs build 1: median %.3f  p10 %.3f\n", j, med(m, j, NR), med(p, j, NR) }'
