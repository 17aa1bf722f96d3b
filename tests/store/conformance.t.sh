#!/usr/bin/env bash
# The store conformance suite, once per store plugin in $BUILD/plugins/store/.
# Each plugin gets its settings from the table below; @DIR@ in a setting is
# replaced by the suite with a fresh temporary directory per case.
. "$SKIFF_ROOT/tests/lib.sh"
bin=$SKIFF_ROOT/$BUILD/tests-bin/store_conformance

# Settings per plugin (space-separated key=value; none for unlisted plugins).
settings_for() {
  case "$1" in
    memory) echo "" ;;
    lmdb) echo "path=@DIR@/lmdb" ;;
    *) echo "" ;;
  esac
}

if [ ! -x "$bin" ]; then
  notok "store conformance binary $bin is built (run make tests)"
  done_testing; exit
fi
shopt -s nullglob
sos=("$SKIFF_ROOT/$BUILD"/plugins/store/*.so)
if [ ${#sos[@]} -eq 0 ]; then
  notok "at least one store plugin under $BUILD/plugins/store"
  done_testing; exit
fi

for so in "${sos[@]}"; do
  name=$(basename "$so" .so)
  # shellcheck disable=SC2046
  out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" "$so" $(settings_for "$name") 2>&1)
  rc=$?
  failed_before=$_tap_failed
  # Re-number the suite's TAP lines into this script's sequence, prefixed by plugin.
  while IFS= read -r line; do
    case "$line" in
      "ok "*) ok "$name: ${line#ok * - }" ;;
      "not ok "*) notok "$name: ${line#not ok * - }" ;;
      "#"*) echo "# $name: ${line#\# }" ;;
      1..*|"") ;;
      *) echo "# $name: $line" ;;
    esac
  done <<<"$out"
  # A crash (no "not ok" for it) still counts as a failure.
  [ $rc -eq 0 ] || [ "$_tap_failed" -gt "$failed_before" ] || notok "$name: conformance suite exited with status $rc"
done
done_testing
