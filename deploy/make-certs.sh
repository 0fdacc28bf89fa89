#!/usr/bin/env bash
# Makes the TLS certificates for the routers' backbone: one deployment CA and,
# for each NODE, a private key and a certificate signed by that CA.
#
#   deploy/make-certs.sh OUTDIR NODE [NODE...]
#   deploy/make-certs.sh OUTDIR --revoke NODE [NODE...]
#   deploy/make-certs.sh OUTDIR --crl
#
# Writes OUTDIR/ca.key, OUTDIR/ca.crt, OUTDIR/NODE.key and OUTDIR/NODE.crt,
# and the CA's revocation list OUTDIR/crl.pem (for the routers' --tls-crl),
# and prints each node certificate's SHA-256 fingerprint (for the other
# routers' --peer-fingerprint NODE=FINGERPRINT).
# An existing CA in OUTDIR is reused, so nodes can be added later; an existing
# NODE.key + NODE.crt pair is kept (delete both to issue a new one).
# --revoke adds NODE.crt to the revocation list, renames the pair to
# NODE.revoked-SERIAL.crt/.key and writes a new crl.pem; run the first form
# again to issue NODE a new pair. --crl only writes a new crl.pem (it is
# valid for 365 days: refresh it and copy it to every router before then).
# Copy ca.crt, crl.pem, NODE.key and NODE.crt to each node; ca.key stays
# here, offline.
#
# Keys are EC P-256 (PKCS#8 PEM) and have no passphrase: nodes start
# unattended, so the key file's 0600 mode and the machine guard it instead.
# Node certificates are for both TLS server and client (routers dial each
# other), name the node in CN and subjectAltName, and last 825 days; the CA
# lasts 3650 days.
set -euo pipefail

usage() {
  echo "usage: $0 OUTDIR NODE [NODE...]" >&2
  echo "       $0 OUTDIR --revoke NODE [NODE...]" >&2
  echo "       $0 OUTDIR --crl" >&2
  echo "  NODE: a node name of letters, digits, '_', '.' and '-' (e.g. A, router-b)" >&2
  exit 2
}

fail() {
  echo "make-certs: $*" >&2
  exit 1
}

[ $# -ge 2 ] || usage
outdir="$1"
shift
mode=issue
case "$1" in
  --revoke) mode=revoke; shift; [ $# -ge 1 ] || usage ;;
  --crl) mode=crl; shift; [ $# -eq 0 ] || usage ;;
  -*) usage ;;
esac
for node in "$@"; do
  [[ "$node" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "bad node name '$node' (letters, digits, '_', '.', '-' only)"
  [[ "$node" != [.-]* ]] || fail "bad node name '$node' (must not start with '.' or '-')"
  [ "$node" != "ca" ] || fail "'ca' is the CA's own file name; pick another node name"
done
command -v openssl >/dev/null || fail "the openssl command is missing (apt-get install openssl)"

mkdir -p "$outdir"
umask 077
# Work next to the output so finished files are renamed into place whole.
work="$(mktemp -d "$outdir/.make-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

days_ca=3650
days_node=825
days_crl=365

# Runs openssl quietly; if it fails, shows what it said and stops.
ossl() {
  if ! openssl "$@" 2>"$work/openssl.err"; then
    cat "$work/openssl.err" >&2
    fail "openssl $1 failed"
  fi
}

new_key() { # FILE
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -pkeyopt ec_param_enc:named_curve -out "$1"
  chmod 0600 "$1"
}

# Succeeds when KEY is the private key of CERT.
key_matches() { # KEY CERT
  [ "$(openssl pkey -in "$1" -pubout 2>/dev/null)" = \
    "$(openssl x509 -in "$2" -noout -pubkey 2>/dev/null)" ]
}

serial() { echo "0x$(openssl rand -hex 16)"; }

# The deployment CA.
if [ -e "$outdir/ca.key" ] || [ -e "$outdir/ca.crt" ]; then
  if [ ! -f "$outdir/ca.key" ] || [ ! -f "$outdir/ca.crt" ]; then
    fail "$outdir has only one of ca.key and ca.crt; restore the other or remove both"
  fi
  key_matches "$outdir/ca.key" "$outdir/ca.crt" \
    || fail "$outdir/ca.key is not the key of $outdir/ca.crt"
  openssl x509 -in "$outdir/ca.crt" -noout -ext basicConstraints 2>/dev/null \
    | grep -q "CA:TRUE" || fail "$outdir/ca.crt is not a CA certificate"
  echo "make-certs: reusing the CA in $outdir"
else
  cat >"$work/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Courier deployment CA $(openssl rand -hex 4)
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  new_key "$work/ca.key"
  ossl req -new -x509 -config "$work/ca.cnf" -extensions ca_ext \
    -key "$work/ca.key" -sha256 -days "$days_ca" -set_serial "$(serial)" \
    -out "$work/ca.crt"
  chmod 0644 "$work/ca.crt"
  mv "$work/ca.key" "$outdir/ca.key"
  mv "$work/ca.crt" "$outdir/ca.crt"
  echo "make-certs: created the CA $outdir/ca.crt (keep $outdir/ca.key private)"
fi

# The CA's small database of revoked certificates, for `openssl ca`.
cadb="$outdir/ca-db"
ca_config() {
  mkdir -p "$cadb"
  [ -f "$cadb/index.txt" ] || : >"$cadb/index.txt"
  [ -f "$cadb/crlnumber" ] || echo 01 >"$cadb/crlnumber"
  cat >"$work/ca-ops.cnf" <<EOF
[ca]
default_ca = courier_ca
[courier_ca]
database = $cadb/index.txt
crlnumber = $cadb/crlnumber
new_certs_dir = $cadb
certificate = $outdir/ca.crt
private_key = $outdir/ca.key
default_md = sha256
default_crl_days = $days_crl
crl_extensions = crl_ext
unique_subject = no
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF
}

# (Re)writes OUTDIR/crl.pem from the revoked certificates.
write_crl() {
  ca_config
  ossl ca -batch -config "$work/ca-ops.cnf" -gencrl -out "$work/crl.pem"
  chmod 0644 "$work/crl.pem"
  mv "$work/crl.pem" "$outdir/crl.pem"
  echo "make-certs: wrote the revocation list $outdir/crl.pem (valid $days_crl days; copy it to every router)"
}

if [ "$mode" = crl ]; then
  write_crl
  exit 0
fi

if [ "$mode" = revoke ]; then
  ca_config
  for node in "$@"; do
    crt="$outdir/$node.crt"
    [ -f "$crt" ] || fail "$crt does not exist"
    serial="$(openssl x509 -in "$crt" -noout -serial | sed 's/^serial=//')"
    ossl ca -batch -config "$work/ca-ops.cnf" -revoke "$crt" -crl_reason keyCompromise
    mv "$crt" "$outdir/$node.revoked-$serial.crt"
    [ ! -f "$outdir/$node.key" ] || mv "$outdir/$node.key" "$outdir/$node.revoked-$serial.key"
    echo "make-certs: revoked $crt (serial $serial)"
  done
  write_crl
  exit 0
fi

# One key and certificate per node.
for node in "$@"; do
  key="$outdir/$node.key"
  crt="$outdir/$node.crt"
  if [ -e "$key" ] || [ -e "$crt" ]; then
    if [ ! -f "$key" ] || [ ! -f "$crt" ]; then
      fail "$outdir has only one of $node.key and $node.crt; remove the leftover to issue a new pair"
    fi
    key_matches "$key" "$crt" || fail "$key is not the key of $crt"
    echo "make-certs: keeping $crt"
    continue
  fi
  cat >"$work/$node.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $node
[node_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:$node
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
  new_key "$work/$node.key"
  ossl req -new -config "$work/$node.cnf" -key "$work/$node.key" \
    -sha256 -out "$work/$node.csr"
  ossl x509 -req -in "$work/$node.csr" -CA "$outdir/ca.crt" \
    -CAkey "$outdir/ca.key" -set_serial "$(serial)" -days "$days_node" \
    -sha256 -extfile "$work/$node.cnf" -extensions node_ext \
    -out "$work/$node.crt"
  chmod 0644 "$work/$node.crt"
  mv "$work/$node.key" "$key"
  mv "$work/$node.crt" "$crt"
  echo "make-certs: created $crt and $key"
done

# Every node certificate must check out against the CA, as server and client.
for node in "$@"; do
  for purpose in sslserver sslclient; do
    openssl verify -CAfile "$outdir/ca.crt" -purpose "$purpose" \
      "$outdir/$node.crt" >/dev/null \
      || fail "$outdir/$node.crt does not verify against $outdir/ca.crt ($purpose)"
  done
done
echo "make-certs: verified $* against $outdir/ca.crt"
# A revocation list always exists, so every router can be given --tls-crl.
[ -f "$outdir/crl.pem" ] || write_crl
for node in "$@"; do
  fp="$(openssl x509 -in "$outdir/$node.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')"
  echo "make-certs: $node fingerprint (for --peer-fingerprint $node=...): $fp"
done
echo "make-certs: copy ca.crt, crl.pem, NODE.crt and NODE.key to each node (the key readable only by its service); ca.key stays here"
