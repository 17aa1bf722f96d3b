#!/usr/bin/env bash
# The `scheduler` component from a config file: profiles naming
# plugins.scheduler instances with weights, checked keys, clear errors.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

SK=$SKIFF_BIN
write_cfg() { # $1: scheduler group body
  cat >"$T/s.cfg" <<CFG
plugin_path = [ "$SKIFF_ROOT/$BUILD/plugins" ];
components = { scheduler = true; };
scheduler = { $1 };
plugins = {
  scheduler = (
    { plugin = "node-resources-fit"; instance = "fit"; },
    { plugin = "taint-toleration"; instance = "taints"; },
    { plugin = "least-allocated"; instance = "least"; settings = { resources = [ "cpu:2", "memory" ]; }; },
    { plugin = "default-binder"; instance = "binder"; }
  );
};
CFG
}
run_cli() { "$SK" "$@" >"$T/out" 2>"$T/err"; rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }

write_cfg 'percentage_of_nodes_to_score = 30;
  profiles = ( { name = "default-scheduler";
                 plugins = ( { instance = "fit"; }, { instance = "taints"; weight = 3; },
                             { instance = "least"; weight = 1; }, { instance = "binder"; } ); },
               { name = "batch"; percentage_of_nodes_to_score = 100;
                 plugins = ( { instance = "fit"; }, { instance = "binder"; } ); } );'
run_cli check-config "$T/s.cfg"
expect_eq "profiles pass check-config" 0 "$rc"
run_cli run --config "$T/s.cfg" --once
expect_eq "run --once starts and stops the scheduler" 0 "$rc"
expect_contains "instances created" "scheduler/least-allocated least" "$out"

write_cfg 'profiles = ( { plugins = ( { instance = "fitt"; }, { instance = "binder"; } ); } );'
run_cli run --config "$T/s.cfg" --once
expect_eq "unknown instance exits 2" 2 "$rc"
expect_contains "unknown instance named with file:line" "s.cfg:3: no scheduler instance \"fitt\" in plugins.scheduler (profile \"default-scheduler\")" "$err"

write_cfg 'profiles = ( { name = "p"; plugins = ( { instance = "fit"; weight = 0; }, { instance = "binder"; } ); } );'
run_cli run --config "$T/s.cfg" --once
expect_eq "bad weight exits 2" 2 "$rc"
expect_contains "bad weight says the range" "weight of \"fit\" in profile \"p\" must be an integer 1..100" "$err"

write_cfg 'profiles = ( { name = "p"; plugins = ( { instance = "fit"; } ); } );'
run_cli run --config "$T/s.cfg" --once
expect_eq "profile without a binder exits 2" 2 "$rc"
expect_contains "profile without a binder says so" "profile \"p\" has no bind plugin (add default-binder)" "$err"

write_cfg 'percentage_of_nodes_to_scor = 5;'
run_cli check-config "$T/s.cfg"
expect_eq "misspelt scheduler key exits 2" 2 "$rc"
expect_contains "misspelt key: nearest suggested" "did you mean \"percentage_of_nodes_to_score\"?" "$err"

write_cfg ''
run_cli run --config "$T/s.cfg" --once
expect_eq "no profiles: one default profile of every instance" 0 "$rc"
sed "s|^plugin_path = .*|plugin_path = [ \"$SKIFF_ROOT/$BUILD/plugins\" ];|" "$SKIFF_ROOT/examples/scheduler.cfg" >"$T/example.cfg"
run_cli check-config "$T/example.cfg"
expect_eq "examples/scheduler.cfg passes check-config" 0 "$rc"
done_testing
