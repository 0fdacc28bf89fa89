#!/usr/bin/env bash
# The README's main command: install, build, and run Courier on its
# defaults: a router on 127.0.0.1:7400 and a bank, with their data under
# $COURIER_DATA (default: ~/.local/share/courier/nodes). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" courier-node courier-cli courier-chat
data="${COURIER_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/courier/nodes}"
(umask 077 && mkdir -p "$data")
bin="$root/build/bin"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin/courier-node" router --edge=127.0.0.1:7400 --data="$data/router" &
pids+=($!)
# The bank signs in as the user 'bank'; $COURIER_OPERATOR may issue money.
"$bin/courier-node" bank --server=127.0.0.1:7400 --data="$data/bank" \
  --operator="${COURIER_OPERATOR:-${USER:-root}}" &
pids+=($!)
# With a display, the desktop app too.
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  if [ -x "$root/build/bin/courier-chat" ]; then
    "$root/build/bin/courier-chat" --server 127.0.0.1:7400 &
    pids+=($!)
  fi
fi

cat <<MSG

Courier is running: router on 127.0.0.1:7400 and the bank (data in $data).
In another terminal:
  $bin/courier-cli --user alice init
  $bin/courier-cli --user alice chat bob
  $bin/courier-cli --user alice open-account
  $bin/courier-cli --user alice balance
Press Ctrl-C to stop.
MSG
wait
