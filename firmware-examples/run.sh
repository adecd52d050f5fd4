#!/usr/bin/env bash
# Builds every firmware example in release mode and runs it under QEMU (semihosting).
#
#   firmware-examples/run.sh            # all boards
#   firmware-examples/run.sh mps2-an386 # one board (mps2-an386: Cortex-M4F, mps2-an505: Cortex-M33)
#
# Installs nothing. Prerequisites (Debian): apt-get install qemu-system-arm;
# rustup target add thumbv7em-none-eabihf thumbv8m.main-none-eabihf.
# Prints one `PASS`/`FAIL` line per model and ends with `N passed, N failed`; exits non-zero if any
# model failed, a build failed, or a run crashed or timed out.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_TIMEOUT="${FIRMWARE_RUN_TIMEOUT:-120}"
# Board, the firmware folder that runs on it, and the Rust target (which selects the board's memory
# map in the folder's build.rs and its QEMU machine in .cargo/config.toml).
BOARDS=(
    "mps2-an386 mps2 thumbv7em-none-eabihf"
    "mps2-an505 mps2 thumbv8m.main-none-eabihf"
)

die() {
    echo "run.sh: $*" >&2
    echo "0 passed, 1 failed"
    exit 2
}

# ---- prerequisites ----
command -v cargo >/dev/null || die "cargo not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
command -v qemu-system-arm >/dev/null ||
    die "qemu-system-arm not found; install it with: apt-get install -y --no-install-recommends qemu-system-arm"
sysroot="$(rustc --print sysroot 2>/dev/null)" || die "rustc not found"

# ---- models: converted from the golden fixture by this checkout's converter, so the embedded
# files always match the engine's file format (they are build products, not committed) ----
repo="$(cd "$here/.." && pwd)"
models="$here/mps2/model"
for kind in int8 f32; do
    (cd "$repo" && cargo run -q --release -p electra-convert -- tests/fixtures/models/seqcls \
        "--$kind" -o "$models/seqcls.$kind.elt" -q) || die "converting the firmware's $kind model failed"
done

# Host flags (e.g. -C target-cpu=native) must not leak into the MCU build; each example's
# .cargo/config.toml sets its own.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET

runs=()
for entry in "${BOARDS[@]}"; do
    read -r name _ _ <<<"$entry"
    if [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; then
        runs+=("$entry")
    fi
done
[ ${#runs[@]} -gt 0 ] || die "no such board: $* (boards: mps2-an386 mps2-an505)"

passed=0
failed=0
for entry in "${runs[@]}"; do
    read -r board folder target <<<"$entry"
    dir="$here/$folder"
    [ -f "$dir/Cargo.toml" ] || die "$dir/Cargo.toml not found"
    [ -d "$sysroot/lib/rustlib/$target" ] ||
        die "Rust target $target is not installed; install it with: rustup target add $target"
    echo "=== $board: build ($folder, $target)"
    # Cargo reads .cargo/config.toml (runner, flags) from the current directory: run from the folder.
    if ! (cd "$dir" && cargo build --release --target "$target"); then
        echo "FAIL $board: build failed"
        failed=$((failed + 1))
        continue
    fi

    echo "=== $board: run under QEMU (timeout ${RUN_TIMEOUT}s)"
    log="$(mktemp)"
    start_ns=$(date +%s%N)
    (cd "$dir" && timeout "$RUN_TIMEOUT" cargo run --release --target "$target") 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    ms=$((($(date +%s%N) - start_ns) / 1000000))

    # The firmware announces "... N models ..." first, then prints one PASS/FAIL line per model.
    expected=$(sed -n 's/.*: \([0-9][0-9]*\) models,.*/\1/p' "$log" | head -n 1)
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    rm -f "$log"
    expected=${expected:-$((p + f))}
    missing=$((expected - p - f))
    if [ "$rc" -eq 124 ]; then
        echo "FAIL $board: timed out after ${RUN_TIMEOUT}s"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $board: firmware exited with status $rc (panic or crash)"
    fi
    if [ "$missing" -gt 0 ]; then
        f=$((f + missing))
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # exited non-zero although every model reported PASS
    fi
    echo "=== $board: $p passed, $f failed (exit status $rc, ${ms} ms wall time for cargo run + QEMU)"
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
