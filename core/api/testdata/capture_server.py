#!/usr/bin/env python3
"""Stand-in API server that records what kubectl sends (KUBECTL-WIRE.md §2).

Usage: capture_server.py PORT OUTDIR [LIVEDIR]
Answers discovery minimally, serves an empty OpenAPI v2 (so kubectl skips
client-side validation), and writes every POST/PUT/PATCH body to
OUTDIR/<n>-<resource>.bin with its Content-Type in <n>-<resource>.ctype,
then answers 201 with a JSON echo so kubectl exits 0. A GET of a named
object answers LIVEDIR/<resource>-<name>.json when that file exists (so
apply/label/scale/cordon can compute their patches), else 404.
"""
import http.server
import json
import os
import sys

PORT = int(sys.argv[1])
OUT = sys.argv[2]
LIVE = sys.argv[3] if len(sys.argv) > 3 else None
COUNT = [0]

CORE = [("pods", "Pod", True), ("nodes", "Node", False), ("namespaces", "Namespace", False), ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
        ("serviceaccounts", "ServiceAccount", True), ("services", "Service", True),
        ("resourcequotas", "ResourceQuota", True)]
APPS = [("deployments", "Deployment", True)]
GROUPS = {
    "apps/v1": APPS,
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "rbac.authorization.k8s.io/v1": [("roles", "Role", True), ("rolebindings", "RoleBinding", True),
                                     ("clusterroles", "ClusterRole", False),
                                     ("clusterrolebindings", "ClusterRoleBinding", False)],
    "scheduling.k8s.io/v1": [("priorityclasses", "PriorityClass", False)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "networking.k8s.io/v1": [("ingresses", "Ingress", True)],
}


def resources(lst):
    return [{"name": n, "singularName": k.lower(), "namespaced": ns, "kind": k,
             "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]} for n, k, ns in lst]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj, ctype="application/json"):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path.split("?")[0]
        if p.startswith("/version"):
            return self.reply(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
        if p == "/api":
            return self.reply(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % PORT}]})
        if p == "/apis":
            return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": "v1"}],
                 "preferredVersion": {"groupVersion": gv, "version": "v1"}} for gv in GROUPS]})
        if p == "/api/v1":
            return self.reply(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1",
                                    "resources": resources(CORE)})
        if p.startswith("/apis/") and p[len("/apis/"):] in GROUPS:
            gv = p[len("/apis/"):]
            return self.reply(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                    "resources": resources(GROUPS[gv])})
        parts = p.strip("/").split("/")
        if LIVE and len(parts) >= 4 and not p.startswith("/openapi"):
            # .../<resource>/<name>[/<sub>]: serve a live object if we have one.
            res, name = (parts[-3], parts[-2]) if parts[-1] == "scale" else (parts[-2], parts[-1])
            f = os.path.join(LIVE, "%s-%s.json" % (res, name))
            if os.path.exists(f):
                with open(f, "rb") as fh:
                    return self.reply(200, fh.read())
        if p == "/openapi/v2":
            return self.reply(200, b"", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                "code": 404, "message": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        COUNT[0] += 1
        parts = self.path.split("?")[0].rstrip("/").split("/")
        if self.command == "POST":
            res = parts[-1]
        elif parts[-1] == "scale":
            res = "%s-%s-scale" % (parts[-3], parts[-2])
        else:
            res = "%s-%s" % (parts[-2], parts[-1])
        base = os.path.join(OUT, "%d-%s" % (COUNT[0], res))
        with open(base + ".bin", "wb") as f:
            f.write(body)
        with open(base + ".ctype", "w") as f:
            f.write(self.headers.get("Content-Type", "") + "\n")
        # Echo a minimal object so kubectl prints "<kind>/<name> created".
        if self.command == "PATCH" and LIVE:
            f = os.path.join(LIVE, "%s.json" % res.replace("-scale", ""))
            if os.path.exists(f):
                with open(f, "rb") as fh:
                    return self.reply(200, fh.read())
        return self.reply(201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})

    do_PUT = do_POST
    do_PATCH = do_POST


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
