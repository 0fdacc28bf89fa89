#!/usr/bin/env bash
# The README's test command: install, build, run every test; then the
# sanitizer jobs (COURIER_SANITIZE: "asan tsan" by default, "asan", "tsan"
# or "none"; see deploy/sanitize.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${COURIER_SANITIZE:-asan tsan}"
start=$SECONDS
"$root/deploy/install-deps.sh"
echo "courier: install took $((SECONDS - start)) s"
start=$SECONDS
"$root/deploy/build.sh"
echo "courier: build took $((SECONDS - start)) s"

# Builds that later steps need run in the background at low priority, in
# the time the tests leave the cores idle (most process tests wait on
# sockets); the sooner a build is needed, the higher its priority. The
# fuzz test waits for the fuzz tree's build (its lock); each sanitizer job
# waits for its build, and builds again in the open if that one failed.
# None is left compiling if a step fails.
background=()
trap 'for p in "${background[@]}"; do kill -- -"$p" 2>/dev/null || true; done' EXIT
declare -A build_of
mkdir -p "$root/build-fuzz"
setsid nice -n 5 "$root/deploy/fuzz.sh" build \
  > "$root/build-fuzz/background-build.log" 2>&1 &
background+=($!)
if [[ " $jobs " == *" asan "* ]]; then
  mkdir -p "$root/build-asan"
  setsid nice -n 10 "$root/deploy/sanitize.sh" asan --build-only \
    > "$root/build-asan/background-build.log" 2>&1 &
  build_of[asan]=$!
  background+=($!)
fi
if [[ " $jobs " == *" tsan "* ]]; then
  # CAF built for TSan first (once, minutes of compiling), then Courier.
  mkdir -p "$root/build-tsan"
  setsid nice -n 19 bash -c '"$1/deploy/sanitize/build-caf-tsan.sh" \
      "$1/build-tsan/caf" && "$1/deploy/sanitize.sh" tsan --build-only' \
    _ "$root" > "$root/build-tsan/background-build.log" 2>&1 &
  build_of[tsan]=$!
  background+=($!)
fi

cd "$root/build"
start=$SECONDS
ctest --output-on-failure --timeout 600 -j2
echo "courier: tests took $((SECONDS - start)) s"
for job in $jobs; do
  [ "$job" = none ] && continue
  if [ -n "${build_of[$job]:-}" ] && ! wait "${build_of[$job]}"; then
    echo "courier: the background $job build failed; building again:"
    tail -n 40 "$root/build-$job/background-build.log"
  fi
  start=$SECONDS
  "$root/deploy/sanitize.sh" "$job"
  echo "courier: sanitizer job $job took $((SECONDS - start)) s"
done
