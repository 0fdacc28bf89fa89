#!/usr/bin/env bash
# The README's test command: install, build, run every test; then the
# sanitizer jobs (COURIER_SANITIZE: "asan tsan" by default, "asan", "tsan"
# or "none"; see deploy/sanitize.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 600 -j2
for job in ${COURIER_SANITIZE:-asan tsan}; do
  [ "$job" = none ] && continue
  start=$SECONDS
  "$root/deploy/sanitize.sh" "$job"
  echo "courier: sanitizer job $job took $((SECONDS - start)) s"
done
