#!/usr/bin/env python3
"""A tiny admission webhook for tests/e2e/admission.t.sh.

POST /mutate   -> allowed, JSONPatch adding label webhook=mutated
POST /validate -> denies objects named "forbidden-name"
POST /slow     -> answers after 3 s (timeoutSeconds tests)
POST /copy-b   -> label saw-b = the object's label b (or "none"); counts calls in
                  annotation copy-b-calls (reinvocation tests)
POST /set-b    -> label b=set
Usage: webhook_server.py PORTFILE [CERT KEY] (writes the chosen port there;
with CERT and KEY it serves HTTPS)."""
import base64
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hook(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        sys.stderr.write(fmt % a + "\n")

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = review["request"]
        resp = {"uid": req["uid"], "allowed": True}
        obj = req.get("object") or {}
        if self.path == "/mutate":
            ops = []
            if "labels" not in obj.get("metadata", {}):
                ops.append({"op": "add", "path": "/metadata/labels", "value": {}})
            ops.append({"op": "add", "path": "/metadata/labels/webhook", "value": "mutated"})
            resp["patchType"] = "JSONPatch"
            resp["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
        elif self.path == "/validate":
            if obj.get("metadata", {}).get("name") == "forbidden-name":
                resp["allowed"] = False
                resp["status"] = {"code": 403, "message": "the name forbidden-name is not allowed"}
            resp["warnings"] = ["checked by the test webhook"]
        elif self.path in ("/copy-b", "/set-b"):
            meta = obj.get("metadata", {})
            ops = []
            if "labels" not in meta:
                ops.append({"op": "add", "path": "/metadata/labels", "value": {}})
            if self.path == "/set-b":
                ops.append({"op": "add", "path": "/metadata/labels/b", "value": "set"})
            else:
                if "annotations" not in meta:
                    ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
                calls = int(meta.get("annotations", {}).get("copy-b-calls", "0")) + 1
                ops.append({"op": "add", "path": "/metadata/annotations/copy-b-calls", "value": str(calls)})
                ops.append({"op": "add", "path": "/metadata/labels/saw-b",
                            "value": meta.get("labels", {}).get("b", "none")})
            resp["patchType"] = "JSONPatch"
            resp["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
        elif self.path == "/slow":
            time.sleep(3)
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "response": resp}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
if len(sys.argv) > 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
