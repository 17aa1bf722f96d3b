# Helpers for shell tests (*.t.sh): TAP output, temp dirs, kubectl, cleanup.
# Source it: . "$SKIFF_ROOT/tests/lib.sh"
set -u
: "${SKIFF_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILD:=build}"
: "${SKIFF_BIN:=$SKIFF_ROOT/$BUILD/bin/skiff}"
: "${SKIFF_PLUGINS:=$SKIFF_ROOT/$BUILD/plugins}"
_tap_n=0
_tap_failed=0
_cleanups=()
T=$(mktemp -d /tmp/skiff-test.XXXXXX)
_cleanups+=("rm -rf '$T'")
_run_cleanups() { local i; for ((i=${#_cleanups[@]}-1; i>=0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done; }
trap _run_cleanups EXIT
on_exit() { _cleanups+=("$*"); }

ok()   { _tap_n=$((_tap_n+1)); echo "ok $_tap_n - $*"; }
notok(){ _tap_n=$((_tap_n+1)); _tap_failed=$((_tap_failed+1)); echo "not ok $_tap_n - $*"; }
# check DESCRIPTION COMMAND...: ok if the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1"; echo "#   expected: $2"; echo "#   actual:   $3"; fi; }
# expect_contains DESCRIPTION NEEDLE HAYSTACK
expect_contains() { case "$3" in *"$2"*) ok "$1";; *) notok "$1"; echo "#   expected to contain: $2"; echo "#   actual: $3";; esac; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; }

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# The versioned kubectl, called directly (no dispatcher probe), with its own HOME.
kubectl_bin() {
  local k; k=$(command -v kubectl.1.32 2>/dev/null) && { echo "$k"; return; }
  k=$(readlink -f "$(command -v kubectl 2>/dev/null)" 2>/dev/null) && [ -x "$(dirname "$k")/kubectl.1.32" ] && { echo "$(dirname "$k")/kubectl.1.32"; return; }
  echo kubectl
}
