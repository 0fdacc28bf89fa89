#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan into
# ./build-fuzz, writes their seed corpora and runs every target for
# SECONDS (default 10), two at a time. Fails if any target finds a crash,
# a hang, a leak or a sanitizer report; the input is then in
# build-fuzz/crashes/ and the log in build-fuzz/fuzz-logs/.
# Usage: deploy/fuzz.sh [SECONDS]     (ctest runs it with 5)
#        deploy/fuzz.sh build         (only builds; deploy/test.sh starts
#                                      it early, in the background)
set -euo pipefail
seconds="${1:-10}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
parallel=2

# The project builds with g++; libFuzzer needs clang, so a separate tree.
command -v clang++ >/dev/null \
  || { echo "fuzz: clang++ is missing; run deploy/install-deps.sh" >&2; exit 1; }
# One build at a time in the tree: the background build of deploy/test.sh
# may still run when ctest gets to the fuzz test, which then waits for it.
mkdir -p "$build"
(
  flock 9
  # Unity builds: a third less compiling (see deploy/sanitize.sh).
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCOURIER_FUZZ=ON \
    -DCOURIER_BUILD_UI=OFF -DCOURIER_BUILD_TESTS=OFF \
    -DCMAKE_UNITY_BUILD=ON >/dev/null
  cmake --build "$build" --target fuzz_all -j2
) 9>"$build/.build-lock"
[ "$seconds" = build ] && exit 0

# The fixed keys live beside the corpora so that sealed seeds (a letter to
# "bob") stay openable by the targets across runs.
export COURIER_FUZZ_KEYS="$build/fuzz-keys"
mkdir -p "$COURIER_FUZZ_KEYS" "$build/crashes" "$build/fuzz-logs"
"$build/fuzz/make_seeds" "$build/corpus"
rm -f "$build"/fuzz-logs/*.failed

# Runs one target on its corpus (which keeps growing across runs).
run_one() {
  local bin="$1" name
  name="$(basename "$bin")"
  local log="$build/fuzz-logs/$name.log"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" \
      "$build/corpus/$name" >"$log" 2>&1; then
    echo "fuzz: $name ok, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs"
  else
    touch "$build/fuzz-logs/$name.failed"
    echo "fuzz: $name FAILED, log: $log"
    grep -E -A25 'ERROR:|runtime error|invariant broken|Test unit written' "$log" | head -60 || true
  fi
}

start=$SECONDS
for bin in "$build"/fuzz/*_fuzz; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 0.2; done
  run_one "$bin" &
done
wait
echo "fuzz: $(ls "$build"/fuzz/*_fuzz | wc -l) targets, ${seconds}s each, $((SECONDS - start))s wall"
if compgen -G "$build/fuzz-logs/*.failed" >/dev/null; then
  exit 1
fi
