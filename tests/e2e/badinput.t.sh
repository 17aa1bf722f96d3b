#!/usr/bin/env bash
# Hostile input against `skiff server`: random and malformed bodies, content
# types, paths, names, nesting and numbers. Every answer must be a Status
# with a 4xx code equal to its HTTP code, the server keeps serving, and
# nothing stored changes (the store revision does not move).
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start

rev() { curl -s "http://127.0.0.1:$API_PORT/api/v1/namespaces" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])'; }
before=$(rev)
python3 - "$API_PORT" >"$T/fuzz.out" 2>&1 <<'PY'
import http.client, json, random, sys
port = int(sys.argv[1])
random.seed(1234)
paths = ["/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/configmaps",
         "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces", "/api/v1/nodes",
         "/api/v1/namespaces/default/services", "/api/v1/namespaces/nosuch/pods",
         "/api/v1/namespaces/default/pods/x/binding", "/api/v1/namespaces/default/pods/x/eviction",
         "/apis/apps/v1/namespaces/default/deployments/x/scale", "/api/v1/namespaces/default/frobs",
         "/api/v1/namespaces/default/pods/%2e%2e", "/api/v1/namespaces/default/pods/a%2Fb"]
ctypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "text/plain",
          "application/merge-patch+json", "application/json-patch+json",
          "application/strategic-merge-patch+json", "application/apply-patch+yaml", ""]
def bodies():
    yield b"{"
    yield b"[" * 10000 + b"]" * 10000
    yield b'{"a":' * 3000 + b"1" + b"}" * 3000
    yield b'{"metadata":{"name":"n"},"data":{"a":1e999999}}'
    yield b'{"metadata":{"name":"n","labels":{"a":123}}}'
    yield b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"../x"},"spec":{"containers":[{"name":"c","image":"i"}]}}'
    yield b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"' + b"a" * 300 + b'"},"spec":{"containers":[{"name":"c","image":"i"}]}}'
    yield b'{"apiVersion":"v2","kind":"Pod","metadata":{"name":"x"}}'
    yield b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":"nope"}}'
    yield b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1Q"}}}]}}'
    yield b'{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"replicas":"three"}}'
    yield b'k8s\x00\x0a\x05\x0a\x01\x78'
    yield b'k8s\x00' + bytes(random.getrandbits(8) for _ in range(200))
    yield b"a: [b\n"
    yield b"*x\n"
    yield b"\xff\xfe\xfd"
    yield b'"just a string"'
    yield b"null"
    yield b"[]"
    for _ in range(60):
        yield bytes(random.getrandbits(8) for _ in range(random.randint(1, 400)))
bad = 0
n = 0
for body in bodies():
    for method in ("POST", "PUT", "PATCH"):
        path = random.choice(paths)
        if method != "POST" and not path.rstrip("s").endswith(("x", "b", "e")):
            path += "/x"
        ct = random.choice(ctypes)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        hdr = {"Content-Type": ct} if ct else {}
        c.request(method, path, body=body, headers=hdr)
        r = c.getresponse()
        data = r.read()
        n += 1
        try:
            st = json.loads(data)
            ok = st.get("kind") == "Status" and st.get("code") == r.status and 400 <= r.status < 500
        except Exception:
            ok = False
        if not ok:
            bad += 1
            print("BAD", method, path, ct, r.status, data[:200])
        c.close()
print("requests", n, "bad", bad)
PY
tail -1 "$T/fuzz.out" | sed 's/^/# /'
expect_contains "every hostile request got a 4xx Status" "bad 0" "$(tail -1 "$T/fuzz.out")"
grep BAD "$T/fuzz.out" | head -5 | sed 's/^/# /'
check "server still healthy" curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/healthz"
expect_eq "nothing stored changed (list revision unchanged)" "$before" "$(rev)"
out=$("$KUBECTL" get ns -o name 2>&1); expect_contains "kubectl still works" "namespace/default" "$out"
api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
done_testing
