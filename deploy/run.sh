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

# Trust comes from here, not from the router: the bank's key (made now if
# need be) and the operator's are bound to their names at the router
# (--reserve), the operator is bound to its key at the bank (--operator),
# and clients are told the bank's fingerprint.
cli="$bin/courier-cli"
operator="${COURIER_OPERATOR:-${USER:-root}}"
bank_fp="$("$bin/courier-node" bank-fingerprint --data="$data/bank")"
reserve=(--reserve="bank=$bank_fp")
bank_ops=()
operator_note="Nobody may issue money."
if [ -f "${XDG_DATA_HOME:-$HOME/.local/share}/courier/$operator/identity.pem" ]; then
  # Needs no passphrase for identities made by this version (it may ask
  # once for older ones).
  if operator_fp="$("$cli" --user "$operator" fingerprint | sed -n 's/^[^:]*: //p')" \
      && [ -n "$operator_fp" ]; then
    reserve+=(--reserve="$operator=$operator_fp")
    bank_ops=(--operator="$operator=$operator_fp")
    operator_note="The bank's operator, who may issue money: $operator (key $operator_fp)."
  else
    operator_note="Nobody may issue money: could not read $operator's fingerprint."
  fi
else
  operator_note="Nobody may issue money yet: $operator, the operator, has no identity. Make it with
    $cli --user $operator init
then stop this (Ctrl-C) and run it again: COURIER_OPERATOR=$operator ./deploy/run.sh"
fi

"$bin/courier-node" router --edge=127.0.0.1:7400 --data="$data/router" \
  "${reserve[@]}" &
pids+=($!)
# The bank signs in as the user 'bank'; the operator may issue money.
"$bin/courier-node" bank --server=127.0.0.1:7400 --data="$data/bank" \
  ${bank_ops[@]+"${bank_ops[@]}"} &
pids+=($!)
# The app (and anything started from here) is told the bank's key.
export COURIER_BANK_FINGERPRINT="$bank_fp"
# With a display, the desktop app too.
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  if [ -x "$root/build/bin/courier-chat" ]; then
    "$root/build/bin/courier-chat" --server 127.0.0.1:7400 &
    pids+=($!)
  fi
fi

cat <<MSG

Courier is running: router on 127.0.0.1:7400 and the bank (data in $data).
The bank's fingerprint: $bank_fp
$operator_note
In another terminal:
  export COURIER_BANK_FINGERPRINT='$bank_fp'
  $cli --user alice init
  $cli --user alice chat bob
  $cli --user alice open-account
  $cli --user alice balance
Press Ctrl-C to stop.
MSG
wait
