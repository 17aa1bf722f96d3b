#!/usr/bin/env bash
# Install the Debian packages skiff's build and tests need. Idempotent: it asks
# apt only when something is missing, and runs `apt-get update` once then.
set -euo pipefail
pkgs=(
  build-essential pkg-config binutils
  libconfig-dev libyaml-dev libcjson-dev libseccomp-dev
  liblmdb-dev libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev
  libcmocka-dev
  libjemalloc-dev
  python3 curl procps iproute2 util-linux
)
[ "${1:-}" = "--bench" ] && pkgs+=(etcd-server etcd-client golang-go golang-etcd-server-dev)
missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
