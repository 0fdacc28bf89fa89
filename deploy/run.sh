#!/usr/bin/env bash
# The README's main command: install, build, and run Courier on its
# defaults: a router on 127.0.0.1:7400 with its data under
# $COURIER_DATA (default: ~/.local/share/courier/nodes). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh"
data="${COURIER_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/courier/nodes}"
mkdir -p "$data"
bin="$root/build/actors"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin/courier-node" router --edge=127.0.0.1:7400 --data="$data/router" &
pids+=($!)

cat <<MSG

Courier is running: router on 127.0.0.1:7400 (data in $data).
In another terminal:
  $bin/courier-cli --user alice init
  $bin/courier-cli --user alice chat bob
Press Ctrl-C to stop.
MSG
wait
