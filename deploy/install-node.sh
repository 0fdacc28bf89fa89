#!/usr/bin/env bash
# Installs a built Courier node on this machine: courier-node and courier-cli
# in /usr/local/bin, the system user 'courier', /etc/courier/tls and the
# systemd units. Writes no configuration and starts nothing.
#   ./deploy/build.sh courier-node courier-cli && sudo ./deploy/install-node.sh
# With DESTDIR=DIR it only copies files below DIR (no user, no ownership).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin"
dest="${DESTDIR:-}"

fail() {
  echo "install-node: $*" >&2
  exit 1
}

[ -n "$dest" ] || [ "$(id -u)" -eq 0 ] || fail "run it as root: sudo $0"
for b in courier-node courier-cli; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing; run ./deploy/build.sh courier-node courier-cli first"
done

install -d -m 0755 "$dest/usr/local/bin" "$dest/etc/courier" "$dest/etc/systemd/system"
install -m 0755 "$bin/courier-node" "$bin/courier-cli" "$dest/usr/local/bin/"
install -m 0644 "$root/deploy/systemd/courier-router.service" \
  "$root/deploy/systemd/courier-bank.service" "$dest/etc/systemd/system/"
install -d -m 0750 "$dest/etc/courier/tls"

if [ -z "$dest" ]; then
  if ! getent passwd courier >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/courier --no-create-home \
      --shell /usr/sbin/nologin courier
  fi
  # The services read their certificates as group courier.
  chgrp courier /etc/courier/tls
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
fi

echo "install-node: installed courier-node, courier-cli and the systemd units"
echo "install-node: next: certificates in /etc/courier/tls, then /etc/courier/router.ini or bank.env"
