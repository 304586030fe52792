#!/usr/bin/env python3
"""A faultline client program for Redis (speaks RESP itself: no library).

faultline starts it once per client process with the node's address and
the workload's name:
    python3 redis-client.py HOST [TIMEOUT_SECONDS] [WORKLOAD]
and writes one JSON request per line on stdin:
    {"f": "read" | "write" | "cas", "key": "k", "value": ..., "node": "n1"}
    {"f": "add" | "read", "key": "s0.1", "value": 17 | null, ...}   (set)
    {"f": "add" | "read", "key": "c0", "value": 1 | null, ...}      (counter)
    {"f": "send" | "poll", "key": "q0.1", "value": 17 | null | "start", ...}  (stream)
It answers one JSON reply per line on stdout:
    {"type": "ok" | "fail" | "info", "value": ..., "error": "..."}
fail means certainly not applied; info means it may have been.
Values are stored as their JSON text; cas is a Lua script, which Redis
runs atomically; a set is a Redis set of JSON texts; a counter INCRBY;
a stream a Redis stream: send is XADD (ok with [id, message]), poll is
XRANGE after the last id this process read of it (a few entries), and
poll "start" reads it whole, from its first entry.
"""
import json
import socket
import sys

HOST = sys.argv[1]
TIMEOUT = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
WORKLOAD = sys.argv[3] if len(sys.argv) > 3 else "register"
CAS = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[2]) return 1 else return 0 end"
)


class Unknown(Exception):
    pass


class Failed(Exception):
    pass


class Refused(Failed):
    """The node would not serve at all: faultline backs off while it lasts."""


class Connection:
    def __init__(self):
        self.sock = None
        self.buf = b""

    def connect(self):
        try:
            self.sock = socket.create_connection((HOST, 6379), timeout=TIMEOUT)
        except ConnectionRefusedError:
            raise Refused("connection refused")
        except OSError as e:
            raise Refused(f"cannot connect: {e}")
        self.buf = b""

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Unknown("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exactly(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Unknown("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise Unknown(f"redis error: {rest.decode()}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.exactly(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise Unknown(f"unexpected reply {line!r}")

    def call(self, *args, sent):
        """Runs a command; `sent` is set once it may have reached Redis."""
        if self.sock is None:
            self.connect()
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        sent[0] = True
        try:
            self.sock.sendall(b"".join(parts))
            return self.reply()
        except (socket.timeout, TimeoutError):
            self.close()
            raise Unknown("timeout")
        except OSError as e:
            self.close()
            raise Unknown(f"transport: {e}")
        except Unknown:
            self.close()
            raise


POLL_COUNT = 100


def entries(conn, key, after, count, sent):
    """Up to `count` [id, message] pairs of stream `key` after id `after`."""
    start = "-" if after is None else "(" + after
    reply = conn.call("XRANGE", key, start, "+", "COUNT", count, sent=sent)
    return [[entry_id, json.loads(fields[1])] for entry_id, fields in reply]


def main():
    conn = Connection()
    positions = {}  # the last id this process read of each stream
    for line in sys.stdin:
        request = json.loads(line)
        f, key, value = request["f"], request.get("key") or "k", request.get("value")
        sent = [False]
        try:
            if f == "add" and WORKLOAD == "set":
                conn.call("SADD", key, json.dumps(value), sent=sent)
                reply = {"type": "ok", "value": value}
            elif f == "read" and WORKLOAD == "set":
                members = conn.call("SMEMBERS", key, sent=sent)
                reply = {"type": "ok", "value": sorted(json.loads(m) for m in members)}
            elif f == "add" and WORKLOAD == "counter":
                conn.call("INCRBY", key, int(value), sent=sent)
                reply = {"type": "ok", "value": value}
            elif f == "read" and WORKLOAD == "counter":
                text = conn.call("GET", key, sent=sent)
                reply = {"type": "ok", "value": 0 if text is None else int(text)}
            elif f == "send":
                entry_id = conn.call("XADD", key, "*", "m", json.dumps(value), sent=sent)
                reply = {"type": "ok", "value": [entry_id, value]}
            elif f == "poll" and value == "start":
                read = []
                while True:
                    page = entries(conn, key, read[-1][0] if read else None, 1000, sent)
                    read += page
                    if len(page) < 1000:
                        break
                if read:
                    positions[key] = read[-1][0]
                reply = {"type": "ok", "value": read}
            elif f == "poll":
                read = entries(conn, key, positions.get(key), POLL_COUNT, sent)
                if read:
                    positions[key] = read[-1][0]
                reply = {"type": "ok", "value": read}
            elif f == "read":
                text = conn.call("GET", key, sent=sent)
                reply = {"type": "ok", "value": None if text is None else json.loads(text)}
            elif f == "write":
                conn.call("SET", key, json.dumps(value), sent=sent)
                reply = {"type": "ok", "value": value}
            elif f == "cas":
                old, new = value
                done = conn.call("EVAL", CAS, 1, key, json.dumps(old), json.dumps(new), sent=sent)
                reply = {"type": "ok", "value": value} if done == 1 else {"type": "fail", "error": "value differs"}
            else:
                reply = {"type": "fail", "error": f"unknown operation {f}"}
        except Refused as e:
            reply = {"type": "fail", "error": str(e), "unavailable": True}
        except Failed as e:
            reply = {"type": "fail", "error": str(e)}
        except Unknown as e:
            # A read changes nothing: its failure is certain.
            certain = f in ("read", "poll") or not sent[0]
            reply = {"type": "fail" if certain else "info", "error": str(e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
