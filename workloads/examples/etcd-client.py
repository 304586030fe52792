#!/usr/bin/env python3
"""A faultline client program for etcd, as an example of the protocol.

faultline starts it once per client process with the node's address:
    python3 etcd-client.py HOST [TIMEOUT_SECONDS]
and writes one JSON request per line on stdin:
    {"f": "read" | "write" | "cas", "key": "k", "value": ..., "node": "n1"}
It answers one JSON reply per line on stdout:
    {"type": "ok" | "fail" | "info", "value": ..., "error": "..."}
fail means certainly not applied; info means it may have been.
"""
import base64
import json
import socket
import sys
import urllib.error
import urllib.request

HOST = sys.argv[1]
# Answer before faultline gives up on us, so that we say why.
TIMEOUT = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Unknown(Exception):
    pass


class Failed(Exception):
    pass


def post(path, body):
    request = urllib.request.Request(
        f"http://{HOST}:2379{path}", data=json.dumps(body).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        if e.code == 400:
            raise Failed(f"rejected: HTTP 400")
        raise Unknown(f"HTTP {e.code}")
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            raise Failed("connection refused")
        raise Unknown(f"transport: {e.reason}")
    except (socket.timeout, TimeoutError):
        raise Unknown("timeout")


def value_of(reply):
    kvs = reply.get("kvs") or []
    if not kvs:
        return None
    return json.loads(base64.b64decode(kvs[0]["value"]))


def handle(request):
    f, key, value = request["f"], request["key"], request.get("value")
    k = b64(key)
    try:
        if f == "read":
            return {"type": "ok", "value": value_of(post("/v3/kv/range", {"key": k}))}
        if f == "write":
            post("/v3/kv/put", {"key": k, "value": b64(json.dumps(value))})
            return {"type": "ok", "value": value}
        if f == "cas":
            old, new = value
            reply = post("/v3/kv/txn", {
                "compare": [{"key": k, "target": "VALUE", "result": "EQUAL", "value": b64(json.dumps(old))}],
                "success": [{"request_put": {"key": k, "value": b64(json.dumps(new))}}],
                "failure": [],
            })
            if reply.get("succeeded"):
                return {"type": "ok", "value": value}
            return {"type": "fail", "error": "compare failed"}
        return {"type": "fail", "error": f"unknown operation {f}"}
    except Failed as e:
        return {"type": "fail", "error": str(e)}
    except Unknown as e:
        # A read that did not return changed nothing.
        return {"type": "fail" if f == "read" else "info", "error": str(e)}


for line in sys.stdin:
    print(json.dumps(handle(json.loads(line))), flush=True)
