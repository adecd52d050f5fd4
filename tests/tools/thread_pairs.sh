#!/usr/bin/env bash
# 1 thread against 2 threads of one build, alternating in pairs: the median over pairs of
# t1/t2 (median times) and of the p10 times. The "2 threads vs 1" figures come from this.
#   BIN=target/release/electra FILE=small.elt N=10 IT=200 bash tests/tools/thread_pairs.sh
set -euo pipefail
BIN=${BIN:-target/release/electra}; N=${N:-10}; IT=${IT:-200}; SEQ=${SEQ:-128}; FILE=${FILE:?FILE=model file}
for _ in $(seq "$N"); do
  a=$("$BIN" bench "$FILE" --seq "$SEQ" --threads 1 --iters "$IT" 2>/dev/null | tail -1 | sed 's/[a-z0-9_]*=//g' | cut -d' ' -f1,2)
  b=$("$BIN" bench "$FILE" --seq "$SEQ" --threads 2 --iters "$IT" 2>/dev/null | tail -1 | sed 's/[a-z0-9_]*=//g' | cut -d' ' -f1,2)
  echo "$a $b"
done | awk '
  { print; m[NR] = $1 / $3; p[NR] = $2 / $4 }
  function med(x, k,   i, s, t) { for (i = 1; i <= k; i++) for (s = i + 1; s <= k; s++) if (x[s] < x[i]) { t = x[i]; x[i] = x[s]; x[s] = t }
    return x[int((k + 1) / 2)] }
  END { printf "t1/t2 median of pair ratios: median %.3f  p10 %.3f\n", med(m, NR), med(p, NR) }'
