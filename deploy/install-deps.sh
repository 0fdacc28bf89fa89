#!/usr/bin/env bash
# Installs Courier's build and test dependencies from Debian 12 packages.
# Skips apt entirely when everything is already there. clang is for the
# fuzz targets only (deploy/fuzz.sh); its libFuzzer and sanitizer runtimes
# are in libclang-rt-14-dev, only recommended by clang-14.
set -euo pipefail

packages=(
  g++ cmake make pkg-config openssl iproute2
  libcaf-dev libssl-dev libboost-json1.81-dev libsqlite3-dev
  libspdlog-dev libcli11-dev uuid-dev libgtest-dev
  libpqxx-dev libpq-dev postgresql
  prometheus-cpp-dev libcivetweb-dev curl
  mosquitto libmosquitto-dev
  qt6-declarative-dev qml6-module-qtquick qml6-module-qtquick-controls
  qml6-module-qtquick-layouts qml6-module-qtquick-window
  qml6-module-qtquick-templates qml6-module-qtqml-workerscript
  qml6-module-qttest xvfb xauth fonts-dejavu-core fonts-noto-color-emoji
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "courier: all build dependencies are installed"
  exit 0
fi

echo "courier: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y "${missing[@]}"
