#!/usr/bin/env bash
# Builds CAF 0.17.6 (core, io, openssl) with -fsanitize=thread and line
# tables from Debian's source package into DIR/install, once, and prints
# that prefix. Debian's libcaf is not instrumented: against it TSan
# reports thousands of false races inside CAF. Usage: build-caf-tsan.sh DIR
set -euo pipefail
dir="$(mkdir -p "$1" && cd "$1" && pwd)"
prefix="$dir/install"
if [ -f "$prefix/.built" ]; then
  echo "$prefix"
  exit 0
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
# The source of the CAF that is installed (source package actor-framework):
# apt needs a deb-src entry. The upstream tarball is all we build; it is
# checked against the signed .dsc (Debian's own patches are packaging).
src="$dir/src/actor-framework-0.17.6"
if [ ! -f "$src/CMakeLists.txt" ]; then
  if ! apt-get source --print-uris actor-framework >/dev/null 2>&1; then
    echo "sanitize: adding Debian's deb-src entry for bookworm" >&2
    $sudo tee /etc/apt/sources.list.d/courier-deb-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    $sudo apt-get update -qq >&2
  fi
  mkdir -p "$dir/src"
  cd "$dir/src"
  # The Debian part may be gone from the mirror; the tarball is what counts.
  apt-get source --download-only -qq actor-framework=0.17.6-2.1 >&2 || true
  tarball=actor-framework_0.17.6.orig.tar.gz
  sum="$(awk -v f="$tarball" '/^Checksums-Sha256:/ {on=1; next}
         on && $3 == f {print $1; exit}' actor-framework_0.17.6-2.1.dsc)"
  echo "$sum  $tarball" | sha256sum -c --quiet - >&2 \
    || { echo "sanitize: $tarball does not match the .dsc" >&2; exit 1; }
  tar xzf "$tarball"
  cd - >/dev/null
fi

echo "sanitize: building CAF 0.17.6 with TSan (once)" >&2
# The upstream 0.17.6 source misses an #include <limits> that g++ 12 wants
# (Debian's build carries it as a patch); forcing it in changes nothing else.
flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=thread -include limits"
cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=None \
  "-DCMAKE_CXX_FLAGS=$flags" "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread" \
  "-DCMAKE_INSTALL_PREFIX=$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_TOOLS=yes \
  -DCAF_NO_PYTHON=yes -DCAF_NO_OPENCL=yes -DCAF_NO_SUMMARY=yes >&2
cmake --build "$dir/build" -j"${COURIER_SANITIZE_JOBS:-2}" >&2
cmake --install "$dir/build" >&2
touch "$prefix/.built"
echo "$prefix"
