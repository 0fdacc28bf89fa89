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

# The TSan job needs CAF built for TSan (once, minutes of compiling). It
# builds at the lowest priority while the tests run, in the time they
# leave the cores idle, and is waited for before the TSan job.
caf_build=""
if [[ " $jobs " == *" tsan "* ]]; then
  mkdir -p "$root/build-tsan"
  setsid nice -n 19 "$root/deploy/sanitize/build-caf-tsan.sh" \
    "$root/build-tsan/caf" > "$root/build-tsan/caf-build.log" 2>&1 &
  caf_build=$!
  # Not left compiling if a step fails before the TSan job.
  trap 'kill -- -"$caf_build" 2>/dev/null || true' EXIT
fi

cd "$root/build"
start=$SECONDS
ctest --output-on-failure --timeout 600 -j2
echo "courier: tests took $((SECONDS - start)) s"
for job in $jobs; do
  [ "$job" = none ] && continue
  if [ "$job" = tsan ] && [ -n "$caf_build" ]; then
    wait "$caf_build" || { cat "$root/build-tsan/caf-build.log"; exit 1; }
  fi
  start=$SECONDS
  "$root/deploy/sanitize.sh" "$job"
  echo "courier: sanitizer job $job took $((SECONDS - start)) s"
done
