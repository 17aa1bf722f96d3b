#!/usr/bin/env python3
# Random hostile requests for tests/e2e/hostile.t.sh: methods, paths, query
# parameters (selectors, limits, resourceVersions, watch), Accept and
# Content-Type headers and mutated bodies, seeded so a failure replays.
# Prints one line per 5xx answer or dropped connection, then
# "done N fail M". Usage: hostile_http.py PORT SEED REQUESTS
import http.client, json, random, sys, urllib.parse, time
port = int(sys.argv[1]); seed = int(sys.argv[2]); n_iter = int(sys.argv[3])
random.seed(seed)
res = ["pods","configmaps","services","namespaces","nodes","events","secrets","serviceaccounts","endpoints","leases","deployments","replicasets","frobs","", "pods/x", "pods/x/status","pods/x/binding","pods/x/eviction","pods/x/log","deployments/x/scale","deployments/x/status", "namespaces/default/finalize"]
prefixes = ["/api/v1", "/api/v1/namespaces/default", "/apis/apps/v1", "/apis/apps/v1/namespaces/default",
  "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease", "/apis", "/api", "/apis/apps", "/apis/nosuch/v9", "/openapi/v2", "/openapi/v3", "/openapi/v3/api/v1", "/version", "/healthz", "/readyz", "/livez", "/metrics", "/api/v1/namespaces/%00", "/api/v1/namespaces/" + "a"*300, "//", "/api/v1/namespaces/default/pods/" + "%"*5, "/api/v1/watch/pods", "/api/v1/watch/namespaces/default/pods"]
def rstr():
    c = random.choice([
        lambda: "",
        lambda: "a" * random.randint(0, 5000),
        lambda: "".join(random.choice("=!,()a b.in notin/-_~%&\\\"'\x00\x7f\xff") for _ in range(random.randint(1, 60))),
        lambda: str(random.choice([0, -1, 1, 2**31, 2**63, -2**63, 2**64, 10**30, 500])),
        lambda: random.choice(["a=b", "a!=b", "a in (b,c)", "a notin (b)", "!a", "a", "a==b,c!=d", "metadata.name=x", "spec.nodeName=", "status.phase!=Running", "a in (", "a in ()", "a=b,,", ",", "=", "metadata.namespace==default", "x.y.z=1", "a" * 64 + "=b", "a/b/c=d"]),
        lambda: urllib.parse.quote(bytes(random.getrandbits(8) for _ in range(random.randint(1, 30)))),
    ])
    return c()
keys = ["labelSelector","fieldSelector","limit","continue","resourceVersion","resourceVersionMatch","watch","timeoutSeconds","allowWatchBookmarks","dryRun","fieldManager","fieldValidation","force","propagationPolicy","gracePeriodSeconds","includeObject","sendInitialEvents","pretty","orphanDependents","container","follow","tailLines"]
accepts = ["application/json", "application/json;as=Table;v=v1;g=meta.k8s.io", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
  "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", "application/yaml", "*/*", "text/html", ";;;,,", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", "application/json;as=" + "x"*2000, "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch", ""]
ctypes = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml", "application/apply-patch+json", "application/json; charset=utf-8", "multipart/form-data; boundary=x", ""]
bodies = [b"", b"{}", b"null", b"[]", b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i"}]}}',
  b'[{"op":"add","path":"/metadata/labels/a","value":"b"}]', b'[{"op":"move","from":"/a","path":"/a/b"}]', b'[{"op":"copy","from":"/spec","path":"/spec/x"}]', b'[{"op":"test","path":"/metadata/name","value":1}]',
  b'[{"op":"remove","path":"/spec/containers/-"}]', b'[{"op":"replace","path":"/spec/containers/99999999999999999999","value":1}]', b'[{"op":"add","path":"/~2","value":1}]',
  b'{"metadata":{"labels":null,"finalizers":["a","a"]},"spec":{"containers":[{"name":"c","$patch":"delete"}],"$setElementOrder/containers":[{"name":"z"}]}}',
  b'{"$retainKeys":["a"],"$patch":"replace"}', b'{"spec":{"$patch":"merge"},"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}',
  b'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, managedFields: [{manager: 1}]}\ndata: {a: b}\n',
  b'a: &a [*a]\n', b'a: &a {b: *a}\n', b'--- \n---\n', b'k8s\x00' + bytes(range(256)),
  b'{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Nope","gracePeriodSeconds":-5,"preconditions":{"uid":"x","resourceVersion":"y"}}',
  b'{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"x"}}', b'{"apiVersion":"v1","kind":"Binding","metadata":{"name":"x"},"target":{"name":"n"}}',
  b'{"spec":{"replicas":2147483648}}', b'{"spec":{"replicas":-1}}', b'{"metadata":{"resourceVersion":"abc"}}', b'{"metadata":{"resourceVersion":"99999999999999999999999"}}',
  b'{"metadata":{"name":"x","generateName":"' + b"a"*300 + b'"}}', b'{"metadata":{"generateName":"x-"}}']
methods = ["GET","GET","GET","POST","PUT","PATCH","DELETE","HEAD","OPTIONS","FOO"]
fail = 0
def setup():
    objs = [("/api/v1/namespaces/default/pods", {"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","labels":{"a":"b"},"finalizers":["f/x"]},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"}]}]}}),
            ("/api/v1/namespaces/default/configmaps", {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"b"}}),
            ("/api/v1/namespaces/default/services", {"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"ports":[{"port":80}]}}),
            ("/apis/apps/v1/namespaces/default/deployments", {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}),
            ("/api/v1/nodes", {"apiVersion":"v1","kind":"Node","metadata":{"name":"x"}}),
            ("/api/v1/namespaces", {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}})]
    for p, o in objs:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        c.request("POST", p, body=json.dumps(o), headers={"Content-Type":"application/json"}); c.getresponse().read(); c.close()
for i in range(n_iter):
    if i % 200 == 0: setup()
    path = random.choice(prefixes) + ("/" + random.choice(res) if random.random() < 0.8 else "")
    if random.random() < 0.2: path += "/" + urllib.parse.quote(rstr()[:100], safe="")
    q = "&".join(f"{random.choice(keys)}={urllib.parse.quote(rstr(), safe='')}" for _ in range(random.randint(0, 4)))
    if random.random() < 0.05: q += "&&&==&a"
    m = random.choice(methods)
    hdr = {}
    a = random.choice(accepts)
    if a: hdr["Accept"] = a
    body = None
    if m in ("POST","PUT","PATCH","DELETE") or random.random() < 0.05:
        body = random.choice(bodies)
        if random.random() < 0.3 and body:
            b = bytearray(body)
            for _ in range(random.randint(1, 5)):
                b[random.randrange(len(b))] = random.getrandbits(8)
            body = bytes(b)
        ct = random.choice(ctypes)
        if ct: hdr["Content-Type"] = ct
    if "watch=" in q or "watch/" in path: hdr["Accept"] = a; q += "&timeoutSeconds=1"
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        c.request(m, path + ("?" + q if q else ""), body=body, headers=hdr)
        r = c.getresponse(); data = r.read()
        if r.status >= 500:
            print("5xx", r.status, m, path, q[:200], hdr, (body or b"")[:200], data[:300]); fail += 1
        c.close()
    except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected) as e:
        print("CONN", type(e).__name__, m, path, q[:300], hdr, (body or b"")[:300]); fail += 1
        time.sleep(0.2)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/healthz"); c.getresponse().read()
        except Exception:
            print("SERVER DEAD"); break
    except Exception as e:
        print("EXC", type(e).__name__, str(e)[:200], m, path[:200], q[:200]); fail += 1
print("done", i + 1, "fail", fail)
