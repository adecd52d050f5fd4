#!/usr/bin/env bash
# Peak anonymous and file-backed resident memory of a command (RssAnon, RssFile from
# /proc/PID/status, sampled every 2 ms), e.g. the converter's memory in docs/file-format.md §11:
#   bash tests/tools/peak_memory.sh target/release/electra-convert --int8 ../shared/anchors/electra-small-disc -o /tmp/s.elt -q
set -u
"$@" & pid=$!
pa=0; pf=0
while kill -0 "$pid" 2>/dev/null; do
  read -r a f < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
  [ "${a:-0}" -gt "$pa" ] && pa=$a
  [ "${f:-0}" -gt "$pf" ] && pf=$f
  sleep 0.002
done
wait "$pid"; rc=$?
echo "peak RssAnon ${pa} kB, peak RssFile ${pf} kB"
exit $rc
