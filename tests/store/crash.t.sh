#!/usr/bin/env bash
# Crash test of the lmdb store: 200 rounds of kill -9 at random moments while
# several threads write, each followed by a reopen that checks every
# acknowledged write is present and no multi-key txn is half applied.
. "$SKIFF_ROOT/tests/lib.sh"
drv="$SKIFF_ROOT/$BUILD/tests-bin/store_crash"
so="$SKIFF_PLUGINS/store/lmdb.so"
if [ ! -x "$drv" ] || [ ! -f "$so" ]; then notok "crash driver or lmdb plugin not built ($drv, $so)"; done_testing; exit 1; fi
rounds=${SKIFF_CRASH_ROUNDS:-200}
seed=${SKIFF_CRASH_SEED:-$(date +%s)}
echo "# seed $seed (rerun with SKIFF_CRASH_SEED=$seed)"
# checkpoints every few ms, so kills also land in and between them
"$drv" crash "$so" "$T/data" "$rounds" "$seed" retention=0 checkpoint_interval=5ms
