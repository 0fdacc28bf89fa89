#!/usr/bin/env bash
# The README's main command: install, build, and run Courier on its
# defaults: a router on 127.0.0.1:$COURIER_PORT (7400) and a bank, with
# their data under $COURIER_DATA (default: ~/.local/share/courier/nodes,
# the folders courier-node uses when not told). Ctrl-C stops it.
# COURIER_OPERATOR names who may issue money (default: your login name).
# COURIER_SKIP_BUILD=1 runs what is built already (tests, quick restarts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${COURIER_PORT:-7400}"
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "run.sh: COURIER_PORT must be a port number (1-65535), not '$port'" >&2
  exit 2
fi
# Before anything slow: a router that cannot listen would leave the bank
# waiting for it for ever.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
if port_busy; then
  echo "run.sh: port $port in use (another router?); stop what uses it, or" \
       "pick another port: COURIER_PORT=7410 $0" >&2
  exit 1
fi
if [ "${COURIER_SKIP_BUILD:-0}" != 1 ]; then
  "$root/deploy/install-deps.sh"
  "$root/deploy/build.sh" courier-node courier-cli courier-chat
fi
umask 077
data="${COURIER_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/courier/nodes}"
mkdir -p "$data"
bin="${COURIER_BIN:-$root/build/bin}" # COURIER_BIN: another build
server="127.0.0.1:$port"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Trust comes from here, not from the router: the bank's key (made now if
# need be) and the operator's are bound to their names at the router
# (--reserve), the operator is bound to its key at the bank (--operator),
# and clients are told the bank's fingerprint.
cli="$bin/courier-cli"
[ "$port" = 7400 ] || cli="$cli --server $server"
operator="${COURIER_OPERATOR:-${USER:-root}}"
bank_fp="$("$bin/courier-node" bank-fingerprint --data="$data/bank")"
reserve=(--reserve="bank=$bank_fp")
bank_ops=()
if [ -f "${XDG_DATA_HOME:-$HOME/.local/share}/courier/$operator/identity.pem" ]; then
  # Needs no passphrase for identities made by this version (it may ask
  # once for older ones).
  if operator_fp="$("$bin/courier-cli" --user "$operator" fingerprint | sed -n 's/^[^:]*: //p')" \
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
then stop this (Ctrl-C) and run it again: COURIER_OPERATOR=$operator ./deploy/run.sh
(or name another operator: COURIER_OPERATOR=NAME ./deploy/run.sh)"
fi

# Waits until the node `pid` wrote `text` to `log`; says why not if it
# stopped or took too long.
wait_for() {
  local pid="$1" log="$2" text="$3" what="$4"
  for _ in $(seq 300); do
    grep -q "$text" "$log" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      if grep -q "cannot listen" "$log"; then
        echo "run.sh: port $port in use: the router cannot listen on it;" \
             "pick another port: COURIER_PORT=7410 $0" >&2
      fi
      echo "run.sh: the $what stopped:" >&2
      sed 's/^/  /' "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "run.sh: the $what did not come up within 30 s (its log: $log)" >&2
  exit 1
}

router_log="$data/router.log"
"$bin/courier-node" router --edge="$server" --data="$data/router" \
  "${reserve[@]}" >"$router_log" 2>&1 &
pids+=($!)
wait_for "${pids[0]}" "$router_log" "listening on" router
router_fp="$(sed -n 's/^.*router.*fingerprint: //p' "$router_log" | head -n 1)"
# The bank signs in as the user 'bank'; the operator may issue money.
bank_log="$data/bank.log"
"$bin/courier-node" bank --server="$server" --data="$data/bank" \
  ${bank_ops[@]+"${bank_ops[@]}"} >"$bank_log" 2>&1 &
pids+=($!)
wait_for "${pids[1]}" "$bank_log" "bank signed in" bank
# The app (and anything started from here) is told the bank's key.
export COURIER_BANK_FINGERPRINT="$bank_fp"
# With a display, the desktop app too.
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  app_note="No display (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app was not started."
elif [ ! -x "$bin/courier-chat" ]; then
  app_note="The desktop app is not built ($bin/courier-chat), so it was not started."
else
  "$bin/courier-chat" --server "$server" &
  pids+=($!)
  app_note="The desktop app is starting."
fi

cat <<MSG

Courier is running: router on $server and the bank (data and logs in $data).
The router's fingerprint: $router_fp
The bank's fingerprint:   $bank_fp
$operator_note
$app_note
In another terminal:
  export COURIER_BANK_FINGERPRINT='$bank_fp'
  $cli --user alice init
  $cli --user alice chat bob
  $cli --user alice open-account
  $cli --user alice balance
Press Ctrl-C to stop.
MSG
# Runs until Ctrl-C, or until a node stops: then it says which. The app
# may be closed while the nodes run on.
set +e
while true; do
  wait -n "${pids[@]}"
  rc=$?
  for i in 0 1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      log="$router_log"; what=router
      [ "$i" = 1 ] && { log="$bank_log"; what=bank; }
      echo "run.sh: the $what stopped (its log: $log); stopping Courier" >&2
      exit "$((rc == 0 ? 1 : rc))"
    fi
  done
  pids=("${pids[0]}" "${pids[1]}")
done
