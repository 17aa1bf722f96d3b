#!/usr/bin/env bash
# sdk/examples/require-image-tag: build the example out of tree with its own
# Makefile (only -I sdk/include), load it into `skiff server` next to the
# built-in plugins, and see kubectl's error for an untagged image.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
EX=$SKIFF_ROOT/sdk/examples/require-image-tag
mkdir -p "$T/p"
make -s -C "$EX" OUT="$T/p" >"$T/make.log" 2>&1
expect_eq "builds out of tree with its own Makefile" 0 "$?"
expect_eq "the only skiff include path is sdk/include" "-I ../../include" \
  "$(make -n -B -C "$EX" OUT="$T/p" | grep -o -- '-I [^ ]*')"
expect_eq "exports only skiff_plugin" "skiff_plugin" "$(nm -D --defined-only "$T/p/require-image-tag.so" | awk '{print $NF}')"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS", "$T/p" ];
components = { apiserver = true; };
plugins = {
  store = ( { plugin = "memory"; } );
  admission = ( { plugin = "namespace-lifecycle"; }, { plugin = "require-image-tag"; } );
};
CFG
out=$("$SKIFF_BIN" check-config "$API_CFG" 2>&1); expect_contains "the config with the plugin checks" "ok (3 plugin instances)" "$out"
api_start
cat >"$T/notag.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: notag}
spec: {containers: [{name: web, image: nginx}]}
Y
out=$(k create -f "$T/notag.yaml" 2>&1); rc=$?
expect_eq "untagged image refused (exit 1)" "1" "$rc"
expect_eq "kubectl prints the plugin's reason" \
  'Error from server (Forbidden): error when creating "'"$T"'/notag.yaml": pods "notag" is forbidden: require-image-tag: container "web" image "nginx" has no tag (name a version, e.g. nginx:1.0)' "$out"
sed 's/image: nginx/image: nginx:latest/' "$T/notag.yaml" >"$T/latest.yaml"
out=$(k create -f "$T/latest.yaml" 2>&1); expect_contains ":latest refused" 'image "nginx:latest" uses the tag "latest"' "$out"
sed 's/image: nginx/image: registry.local:5000\/nginx:1.27/' "$T/notag.yaml" >"$T/tagged.yaml"
out=$(k create -f "$T/tagged.yaml" 2>&1); expect_eq "tagged image (registry with a port) admitted" "pod/notag created" "$out"
api_stop
done_testing
