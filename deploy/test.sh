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
# Runs `cmd...` at niceness N in a session of its own (so that it can be
# killed whole), its output in LOG. A new session is also a new scheduler
# autogroup where the kernel has them: a nice value then weighs only
# against the group's own processes, and each group gets an equal share of
# the cores, tests included. So the group is given the value too.
in_background() { # N LOG cmd...
  local n=$1 log=$2
  shift 2
  mkdir -p "$(dirname "$log")"
  setsid bash -c 'echo "$1" > /proc/self/autogroup 2>/dev/null || true
    shift; exec nice -n "$0" "$@"' "$n" "$n" "$@" > "$log" 2>&1 &
  background+=($!)
}
in_background 5 "$root/build-fuzz/background-build.log" \
  "$root/deploy/fuzz.sh" build
if [[ " $jobs " == *" asan "* ]]; then
  in_background 10 "$root/build-asan/background-build.log" \
    "$root/deploy/sanitize.sh" asan --build-only
  build_of[asan]=$!
fi
if [[ " $jobs " == *" tsan "* ]]; then
  # CAF built for TSan first (once, minutes of compiling), then Courier.
  in_background 19 "$root/build-tsan/background-build.log" \
    bash -c '"$1/deploy/sanitize/build-caf-tsan.sh" "$1/build-tsan/caf" \
      && "$1/deploy/sanitize.sh" tsan --build-only' _ "$root"
  build_of[tsan]=$!
fi

cd "$root/build"
start=$SECONDS
# As in the sanitizer jobs: a test that fails once runs once more, its
# first failure printed above. One that fails twice fails the run.
ctest --output-on-failure --timeout 600 -j2 --repeat until-pass:2
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
