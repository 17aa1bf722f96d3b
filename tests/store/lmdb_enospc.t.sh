#!/usr/bin/env bash
# A full disk: the lmdb store on a 3 MiB tmpfs (mounted in a private mount
# namespace, gone when the namespace ends) must refuse the write that does not
# fit with a no-space error and keep everything it acknowledged.
. "$SKIFF_ROOT/tests/lib.sh"
drv="$SKIFF_ROOT/$BUILD/tests-bin/store_crash"
so="$SKIFF_PLUGINS/store/lmdb.so"
if [ ! -x "$drv" ] || [ ! -f "$so" ]; then notok "crash driver or lmdb plugin not built"; done_testing; exit 1; fi
if [ "$(id -u)" -ne 0 ] || ! unshare --mount true 2>/dev/null; then
  echo "# private mount namespaces unavailable; skipping"; ok "skipped: needs root and unshare --mount"; done_testing; exit 0
fi
mkdir -p "$T/small"
unshare --mount --propagation private bash -c '
  mount -t tmpfs -o size=3m tmpfs "$1" || exit 9
  "$2" fill "$3" "$1/data"
' _ "$T/small" "$drv" "$so"
rc=$?
[ $rc -eq 9 ] && { notok "could not mount a tmpfs"; }
[ $rc -eq 0 ] || exit 1
