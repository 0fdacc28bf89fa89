#!/usr/bin/env bash
# Builds Courier with sanitizers (g++: clang builds of courier-node crash
# at start against Debian's GCC-built CAF) and runs the tests under them.
#
#   deploy/sanitize.sh KIND --build-only    builds and stops (deploy/test.sh
#                                           builds early, in the background)
#   deploy/sanitize.sh asan [CTEST_REGEX]   ASan+UBSan+LeakSanitizer, every
#                                           test but fuzz_smoke; ./build-asan
#   deploy/sanitize.sh tsan [CTEST_REGEX]   ThreadSanitizer, the actor and
#                                           process tests; ./build-tsan, with
#                                           CAF 0.17.6 built for TSan from
#                                           Debian's source once, in
#                                           ./build-tsan/caf
#
# Fails on any report in project code. Reports inside CAF or OpenSSL are
# suppressed by name in deploy/sanitize/*.supp, one reason per line. Test
# processes inherit the options, and a report in a node's log fails the
# test that ran it (tests/support/harness.cpp); courier-node runs the leak
# check before it exits. -O1 and line tables only (-g1) keep the builds
# and the runs short.
set -euo pipefail
kind="${1:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
supp="$root/deploy/sanitize"
jobs="${COURIER_SANITIZE_JOBS:-2}"

# g++ at -O1 with sanitizers warns of a maybe-uninitialized value inside
# CAF's optional (a false positive the normal build does not show), so that
# one warning is off here.
common_flags="-O1 -g1 -Wno-maybe-uninitialized"
case "$kind" in
  asan)
    build="$root/build-asan"
    san="-fsanitize=address,undefined"
    # Every test but the fuzz run (it has its own clang ASan build).
    default_tests='.*'
    exclude='^fuzz_smoke$'
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="suppressions=$supp/ubsan.supp:print_stacktrace=1:halt_on_error=1:print_suppressions=0"
    ;;
  tsan)
    build="$root/build-tsan"
    san="-fsanitize=thread"
    # The actor tests and the process tests: where the threads are. The
    # unit tests run one thread; cli_test is the CLI's options and texts.
    # Only these and the two programs are built.
    tsan_tests="session_test router_test store_test directory_test
      cluster_router_test ledger_actor_test bank_test edge_test
      edge_limits_test chat_test bank_process_test cluster_test
      multihost_test soak_test prekeys_test"
    targets="courier-node courier-cli $(echo $tsan_tests)"
    default_tests="^($(echo $tsan_tests | tr ' ' '|'))\$"
    exclude='^$'
    # The bank's load cases sign thousands of orders with RSA, ten times
    # slower under TSan than the 300 s their test may take; the same bank
    # and client actors run under TSan in bank_test, ledger_actor_test and
    # the bank's other process cases.
    export GTEST_FILTER="-*concurrent_payments*:*mid_load*"
    export TSAN_OPTIONS="suppressions=$supp/tsan.supp:halt_on_error=0:second_deadlock_stack=1:report_signal_unsafe=0"
    ;;
  *)
    echo "usage: deploy/sanitize.sh asan|tsan [CTEST_REGEX]" >&2
    exit 2
    ;;
esac
build_only=false
if [ "${2:-}" = --build-only ]; then
  build_only=true
  shift
fi
tests="${2:-$default_tests}"

cmake_args=(-S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$common_flags"
  "-DCMAKE_CXX_FLAGS=$san -fno-omit-frame-pointer"
  "-DCMAKE_EXE_LINKER_FLAGS=$san"
  -DCOURIER_BUILD_UI=OFF
  # The test files (not the code under test, nor the harness) at -O0: an
  # instrumented test file compiles 2.5x faster so, and the build is most
  # of the job's time.
  -DCOURIER_TEST_FILE_OPTIONS=-O0
  # Unity builds (eight sources per compile): a third less compiling for
  # the libraries (ASan: 393 -> 258 s of CPU for six of them), in a test
  # run that is bound by its CPU. The normal build stays one file a
  # compile, as a developer builds.
  -DCMAKE_UNITY_BUILD=ON)
if [ "$kind" = tsan ]; then
  caf_prefix="$("$root/deploy/sanitize/build-caf-tsan.sh" "$build/caf")"
  cmake_args+=("-DCMAKE_PREFIX_PATH=$caf_prefix"
    "-DCMAKE_BUILD_RPATH=$caf_prefix/lib")
fi
if command -v ccache >/dev/null; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

start=$SECONDS
cmake "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$jobs" ${targets:+--target $targets}
echo "sanitize $kind: built in $((SECONDS - start)) s"
$build_only && exit 0

start=$SECONDS
cd "$build"
# Two at a time, like the normal run; the few tight deadlines tests give a
# router grow by this factor (tests/support/harness.hpp).
export COURIER_TIME_FACTOR=4
# A test that fails once is run once more, so that a report that comes and
# goes cannot turn CI red by chance, while one that fails twice still does;
# every first failure is printed above the rerun.
ctest --output-on-failure --timeout 900 -j"$jobs" -R "$tests" -E "$exclude" \
  --repeat until-pass:2
echo "sanitize $kind: tests ran in $((SECONDS - start)) s"
