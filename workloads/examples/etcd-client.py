#!/usr/bin/env python3
"""A faultline client program for etcd, as an example of the protocol.

faultline starts it once per client process with the node's address and
the workload's name:
    python3 etcd-client.py HOST [TIMEOUT_SECONDS] [WORKLOAD]
and writes one JSON request per line on stdin:
    {"f": "read" | "write" | "cas", "key": "k", "value": ..., "node": "n1"}
    {"f": "txn", "value": [["r", 3, null], ["append", 3, 17]], ...}
    {"f": "add" | "read", "key": "s0.1", "value": 17 | null, ...}   (set)
    {"f": "add" | "read", "key": "c0", "value": 1 | null, ...}      (counter)
It answers one JSON reply per line on stdout:
    {"type": "ok" | "fail" | "info", "value": ..., "error": "..."}
fail means certainly not applied; info means it may have been. A committed
txn answers its micro-operations with each read's result in place:
    {"type": "ok", "value": [["r", 3, [5, 9]], ["append", 3, 17]]}
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
# What a key holds: a register's value; in the set workload a set, one
# etcd key per element under it; in the counter workload a count.
WORKLOAD = sys.argv[3] if len(sys.argv) > 3 else "register"


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Unknown(Exception):
    pass


class Failed(Exception):
    pass


class Refused(Failed):
    """The node would not serve at all: faultline backs off while it lasts."""


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
            raise Refused("connection refused")
        raise Unknown(f"transport: {e.reason}")
    except (socket.timeout, TimeoutError):
        raise Unknown("timeout")


def value_of(reply):
    kvs = reply.get("kvs") or []
    if not kvs:
        return None
    return json.loads(base64.b64decode(kvs[0]["value"]))


def txn(mops):
    """One atomic snapshot of every key the transaction touches (an etcd
    transaction of ranges), the reads and new values computed from it, then
    one etcd transaction that puts the new values if no key it touched
    changed since (same mod revision, or still absent): strict serializable,
    as faultline's own etcd client does it."""
    keys = []
    for mop in mops:
        if str(mop[1]) not in keys:
            keys.append(str(mop[1]))
    try:
        snapshot = post("/v3/kv/txn", {
            "compare": [],
            "success": [{"request_range": {"key": b64(k)}} for k in keys],
            "failure": [],
        })
    except (Failed, Unknown) as e:
        # Only reads so far: nothing can have taken effect.
        return {"type": "fail", "error": str(e)}
    values, revisions = {}, {}
    for k, response in zip(keys, snapshot.get("responses", [])):
        kvs = response.get("response_range", {}).get("kvs") or []
        values[k] = json.loads(base64.b64decode(kvs[0]["value"])) if kvs else None
        revisions[k] = kvs[0]["mod_revision"] if kvs else None
    appends = any(mop[0] == "append" for mop in mops)
    done, written = [], set()
    for f, key, value in mops:
        k = str(key)
        if f == "r":
            read = values[k]
            done.append([f, key, [] if read is None and appends else read])
        elif f == "append":
            values[k] = (values[k] or []) + [value]
            written.add(k)
            done.append([f, key, value])
        elif f == "w":
            values[k] = value
            written.add(k)
            done.append([f, key, value])
        else:
            return {"type": "fail", "error": f"unknown micro-operation {f}"}
    if not written:
        return {"type": "ok", "value": done}
    compare = [
        {"key": b64(k), "target": "MOD", "result": "EQUAL", "mod_revision": revisions[k]}
        if revisions[k] is not None
        else {"key": b64(k), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}
        for k in keys
    ]
    puts = [{"request_put": {"key": b64(k), "value": b64(json.dumps(values[k]))}} for k in keys if k in written]
    try:
        reply = post("/v3/kv/txn", {"compare": compare, "success": puts, "failure": []})
    except Refused as e:
        return {"type": "fail", "error": str(e), "unavailable": True}
    except Failed as e:
        return {"type": "fail", "error": str(e)}
    except Unknown as e:
        return {"type": "info", "error": str(e)}
    if reply.get("succeeded"):
        return {"type": "ok", "value": done}
    return {"type": "fail", "error": "conflict: a key changed since it was read"}


def increment(k, by):
    """etcd has no increment: read the count and its revision, write count +
    by if the key is unchanged since (or still absent); retry on conflict."""
    for _ in range(8):
        try:
            kvs = post("/v3/kv/range", {"key": k}).get("kvs") or []
        except Unknown as e:
            # Only read so far: nothing can have been written.
            return {"type": "fail", "error": str(e)}
        count = json.loads(base64.b64decode(kvs[0]["value"])) if kvs else 0
        unchanged = (
            {"key": k, "target": "MOD", "result": "EQUAL", "mod_revision": kvs[0]["mod_revision"]}
            if kvs
            else {"key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"}
        )
        reply = post("/v3/kv/txn", {
            "compare": [unchanged],
            "success": [{"request_put": {"key": k, "value": b64(json.dumps(count + by))}}],
            "failure": [],
        })
        if reply.get("succeeded"):
            return {"type": "ok", "value": by}
    return {"type": "fail", "error": "conflict: the counter changed under each of 8 attempts"}


def handle(request):
    f, key, value = request["f"], request["key"], request.get("value")
    if f == "txn":
        return txn(value)
    k = b64(key)
    try:
        if f == "add" and WORKLOAD == "counter":
            return increment(k, value)
        if f == "read" and WORKLOAD == "counter":
            return {"type": "ok", "value": value_of(post("/v3/kv/range", {"key": k})) or 0}
        if f == "add":
            post("/v3/kv/put", {"key": b64(f"{key}/{json.dumps(value)}"), "value": b64(json.dumps(value))})
            return {"type": "ok", "value": value}
        if f == "read" and WORKLOAD == "set":
            # Every key under "<set>/": the range ends where "/" + 1 = "0" begins.
            reply = post("/v3/kv/range", {"key": b64(f"{key}/"), "range_end": b64(f"{key}0"), "keys_only": True})
            prefix = f"{key}/"
            elements = [json.loads(base64.b64decode(kv["key"]).decode()[len(prefix):]) for kv in reply.get("kvs") or []]
            return {"type": "ok", "value": elements}
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
    except Refused as e:
        return {"type": "fail", "error": str(e), "unavailable": True}
    except Failed as e:
        return {"type": "fail", "error": str(e)}
    except Unknown as e:
        # A read that did not return changed nothing.
        return {"type": "fail" if f == "read" else "info", "error": str(e)}


for line in sys.stdin:
    print(json.dumps(handle(json.loads(line))), flush=True)
