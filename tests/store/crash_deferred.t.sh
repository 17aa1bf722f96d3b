#!/usr/bin/env bash
# Crash test of the lmdb store with its LMDB commits deferred (the writer
# acknowledges after the log's fdatasync and commits LMDB every
# commit_interval): kill -9 lands while LMDB is behind the log by up to a
# commit interval and no checkpoint happened, so each reopen must rebuild
# every acknowledged write from the log. 60 rounds; see crash.t.sh.
. "$SKIFF_ROOT/tests/lib.sh"
drv="$SKIFF_ROOT/$BUILD/tests-bin/store_crash"
so="$SKIFF_PLUGINS/store/lmdb.so"
if [ ! -x "$drv" ] || [ ! -f "$so" ]; then notok "crash driver or lmdb plugin not built ($drv, $so)"; done_testing; exit 1; fi
rounds=${SKIFF_CRASH_ROUNDS_DEFERRED:-60}
seed=${SKIFF_CRASH_SEED:-$(date +%s)}
echo "# seed $seed (rerun with SKIFF_CRASH_SEED=$seed)"
"$drv" crash "$so" "$T/data" "$rounds" "$seed" retention=0 checkpoint_interval=10s commit_interval=30ms
