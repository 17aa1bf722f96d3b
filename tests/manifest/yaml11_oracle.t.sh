#!/usr/bin/env bash
# SKIFF_MANIFEST_YAML11 must type YAML as kubectl does: every case in
# yaml11_cases.txt is decoded by sigs.k8s.io/yaml (Debian's Go package,
# built offline) and by skiff, and the JSON compared. Skipped when Go or the
# package is missing (they are bench dependencies, not build ones).
. "$SKIFF_ROOT/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1
if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/sigs.k8s.io/yaml ]; then
  ok "# SKIP go or sigs.k8s.io/yaml (golang-sigs-k8s-yaml-dev) not installed"
  done_testing; exit
fi
# Only the Go side is built here. The C driver is a TEST_EXTRA of `make tests`,
# built with that build's flags; a make from here would not know them (under
# `make test-asan` it recompiled stale core objects into build-asan without
# -fsanitize, and the driver failed to link against the sanitized libskiffcore).
check "oracle builds (make $BUILD/bench/y2j)" make -s --no-print-directory BUILD="$BUILD" "$BUILD/bench/y2j"
check "skiff side was built by make tests ($BUILD/tests-bin/manifest_y2j_driver)" test -x "$BUILD/tests-bin/manifest_y2j_driver"
mkdir -p "$T/cases"
python3 - "$T/cases" <<'PY'
import sys
out = sys.argv[1]
n = 0
for line in open('tests/manifest/yaml11_cases.txt', encoding='utf-8'):
    line = line.rstrip('\n')
    if not line or line.startswith('#'):
        continue
    n += 1
    with open(f'{out}/{n:04d}.yaml', 'w', encoding='utf-8') as f:
        f.write(line.replace('\\n', '\n') + '\n')
PY
ls "$T"/cases/*.yaml > "$T/list"
"$BUILD/bench/y2j" -batch < "$T/list" > "$T/oracle.txt"
"$BUILD/tests-bin/manifest_y2j_driver" < "$T/list" > "$T/skiff.txt"
python3 - "$T/list" "$T/oracle.txt" "$T/skiff.txt" "$_tap_n" <<'PY'
import json, sys
paths = open(sys.argv[1]).read().split()
oracle = open(sys.argv[2], encoding='utf-8').read().split('\n')
skiff = open(sys.argv[3], encoding='utf-8').read().split('\n')
def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or a == b and type(a) == type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-15 * max(abs(a), abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) == type(b) and a == b
n = int(sys.argv[4])  # TAP lines already printed by the shell part
fails = 0
for i, p in enumerate(paths):
    n += 1
    src = open(p, encoding='utf-8').read()
    o, s = oracle[i], skiff[i]
    if o.startswith('ERR') or s.startswith('ERR'):
        good = o.startswith('ERR') and s.startswith('ERR')
    else:
        good = same(json.loads(o), json.loads(s))
    if good:
        print(f'ok {n} - {src!r:.70}')
    else:
        fails += 1
        print(f'not ok {n} - {src!r:.70}\n#   kubectl: {o}\n#   skiff:   {s}')
print(f'1..{n}')
sys.exit(1 if fails else 0)
PY
