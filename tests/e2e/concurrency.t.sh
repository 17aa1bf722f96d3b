#!/usr/bin/env bash
# Concurrent writers and watchers against `skiff server`: 8 threads create,
# patch, update and delete the same 20 ConfigMaps while watchers come and go.
# Afterwards a watcher that saw everything from the start agrees with a fresh
# list, every answer was a valid Status or object, and the server is alive.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start

python3 - "$API_PORT" >"$T/stress.out" 2>&1 <<'PY'
import http.client, json, random, sys, threading, time
port = int(sys.argv[1])
base = "/api/v1/namespaces/default/configmaps"
errors = []
def req(method, path, body=None, ct="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers={"Content-Type": ct})
    r = c.getresponse(); data = r.read(); c.close()
    try: obj = json.loads(data)
    except Exception: errors.append(("nonjson", method, path, r.status, data[:100])); return r.status, None
    if r.status >= 300 and (obj.get("kind") != "Status" or obj.get("code") != r.status):
        errors.append(("badstatus", method, path, r.status, data[:100]))
    if r.status >= 500: errors.append(("5xx", method, path, r.status, data[:200]))
    return r.status, obj
status, lst = req("GET", base)
start_rv = lst["metadata"]["resourceVersion"]
state = {}
lock = threading.Lock()
seen = {}
def watcher(stop, record):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", base + "?watch=1&timeoutSeconds=20&resourceVersion=" + start_rv)
    r = c.getresponse(); buf = b""
    while not stop.is_set():
        try: chunk = r.readline()
        except Exception: break
        if not chunk: break
        if record:
            ev = json.loads(chunk)
            if ev["type"] in ("ADDED", "MODIFIED"): seen[ev["object"]["metadata"]["name"]] = ev["object"]["metadata"]["resourceVersion"]
            elif ev["type"] == "DELETED": seen.pop(ev["object"]["metadata"]["name"], None)
    c.close()
def writer(seed):
    rnd = random.Random(seed)
    for i in range(150):
        n = "cm-%d" % rnd.randint(0, 19)
        op = rnd.random()
        if op < 0.35: req("POST", base, {"metadata": {"name": n}, "data": {"w": str(seed)}})
        elif op < 0.65: req("PATCH", base + "/" + n, {"data": {"i": str(i)}}, "application/merge-patch+json")
        elif op < 0.8: req("PUT", base + "/" + n, {"metadata": {"name": n}, "data": {"put": str(i)}})
        else: req("DELETE", base + "/" + n)
stop = threading.Event()
full = threading.Thread(target=watcher, args=(stop, True), daemon=True); full.start()
churn = []
def churner():
    for _ in range(10):
        s = threading.Event(); t = threading.Thread(target=watcher, args=(s, False), daemon=True); t.start()
        time.sleep(0.1); s.set()
        # the connection closes when the thread's next read returns
        churn.append(t)
ws = [threading.Thread(target=writer, args=(k,)) for k in range(8)] + [threading.Thread(target=churner)]
for t in ws: t.start()
for t in ws: t.join()
time.sleep(1.5)
stop.set()
status, lst = req("GET", base)
final = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in lst["items"]}
print("errors", len(errors))
for e in errors[:5]: print("#", e)
print("consistent", final == seen)
if final != seen: print("# list", final, "\n# watch", seen)
PY
cat "$T/stress.out" | grep '^#' | head -10
expect_contains "no malformed answers or 5xx under concurrency" "errors 0" "$(cat "$T/stress.out")"
expect_contains "a watcher from the start agrees with the final list" "consistent True" "$(cat "$T/stress.out")"
check "server still healthy" curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/healthz"
api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
done_testing
