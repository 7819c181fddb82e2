#!/usr/bin/env python3
"""Time to first token through one or more HTTP paths, measured with raw sockets.

Sends N streaming chat requests one after another over a keep-alive
connection and, for each, measures the time from the first byte of the request
being handed to the kernel until the first SSE `data:` line of the body has
arrived (perf_counter_ns; loopback, so the client's own overhead is a few tens
of microseconds and the same for every path). Each response is read to its end
(chunked, Content-Length or close-delimited) before the next request goes out.

Every request carries `Authorization: Bearer sk-bench-not-a-real-key` (the key of the
production profile's tenant; the simulator and nginx ignore it).

usage: ttft.py N MODEL WARMUP NAME=HOST:PORT [NAME=HOST:PORT ...]
Several targets are measured interleaved (one request to each in turn, each on its
own keep-alive connection), so that noise from other work on the machine hits all
paths alike; the added TTFT of each target against the first one is also computed
per turn (paired), which is more robust than a difference of percentiles.
prints: one line of JSON: {NAME: {"n", "errors", "statuses", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "min_ms",
        "added_p50_ms", "added_p90_ms"}, ...}  (added_*: paired, against the first target)
"""
import json
import socket
import sys
import time


class Conn:
    def __init__(self, host, port):
        self.addr = (host, port)
        self.sock = None
        self.buf = b""

    def connect(self):
        self.close()
        self.sock = socket.create_connection(self.addr, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read_until(self, sep):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sep):]
                return out
            self._fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def one_request(conn, host_hdr, body):
    """Returns (status, ttft_ns or None, keep_alive)."""
    req = (
        "POST /v1/chat/completions HTTP/1.1\r\n"
        f"Host: {host_hdr}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: text/event-stream\r\n"
        "Authorization: Bearer sk-bench-not-a-real-key\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    t0 = time.perf_counter_ns()
    conn.sock.sendall(req)
    head = conn.read_until(b"\r\n\r\n").decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip().lower()
    keep_alive = hdrs.get("connection") != "close"
    ttft = None
    seen = b""

    def feed(data):
        nonlocal ttft, seen
        if ttft is None:
            seen += data
            if seen.startswith(b"data:") or b"\ndata:" in seen:
                ttft = time.perf_counter_ns() - t0

    if "chunked" in hdrs.get("transfer-encoding", ""):
        while True:
            size_line = conn.read_until(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                conn.read_until(b"\r\n")  # trailers (none) + final CRLF
                break
            feed(conn.read_exact(size))
            conn.read_exact(2)
    elif "content-length" in hdrs:
        n = int(hdrs["content-length"])
        while n > 0:
            if not conn.buf:
                conn._fill()
            take = conn.buf[:n]
            conn.buf = conn.buf[len(take):]
            n -= len(take)
            feed(take)
    else:  # close-delimited
        keep_alive = False
        try:
            while True:
                if conn.buf:
                    feed(conn.buf)
                    conn.buf = b""
                conn._fill()
        except EOFError:
            pass
    return status, ttft, keep_alive


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def stats(vals):
    s = sorted(vals)
    return {"p50_ms": pct(s, 50), "p90_ms": pct(s, 90), "p99_ms": pct(s, 99),
            "mean_ms": (sum(s) / len(s)) if s else None, "min_ms": s[0] if s else None}


def main():
    n = int(sys.argv[1])
    model = sys.argv[2]
    warmup = int(sys.argv[3])
    targets = []
    for arg in sys.argv[4:]:
        name, _, hostport = arg.partition("=")
        host, _, port = hostport.rpartition(":")
        targets.append((name, hostport, Conn(host, int(port))))
    body = json.dumps({
        "model": model,
        "stream": True,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Count from one to sixteen, one number per token."}],
    }).encode()
    res = {name: {"samples": [], "errors": 0, "statuses": {}} for name, _, _ in targets}
    paired = {name: [] for name, _, _ in targets[1:]}
    for _, _, conn in targets:
        conn.connect()
    for i in range(warmup + n):
        turn = {}
        for name, hostport, conn in targets:
            r = res[name]
            try:
                status, ttft, ka = one_request(conn, hostport, body)
            except (OSError, EOFError, ValueError) as e:
                if i >= warmup:
                    r["errors"] += 1
                    r["statuses"][type(e).__name__] = r["statuses"].get(type(e).__name__, 0) + 1
                conn.connect()
                continue
            if i >= warmup:
                r["statuses"][str(status)] = r["statuses"].get(str(status), 0) + 1
                if status == 200 and ttft is not None:
                    r["samples"].append(ttft / 1e6)
                    turn[name] = ttft / 1e6
                else:
                    r["errors"] += 1
            if not ka:
                conn.connect()
        base = targets[0][0]
        if base in turn:
            for name in paired:
                if name in turn:
                    paired[name].append(turn[name] - turn[base])
    for _, _, conn in targets:
        conn.close()
    out = {}
    ok = True
    for name, _, _ in targets:
        r = res[name]
        d = {"n": len(r["samples"]), "errors": r["errors"], "statuses": r["statuses"], **stats(r["samples"])}
        if name in paired:
            ps = sorted(paired[name])
            d["added_p50_ms"] = pct(ps, 50)
            d["added_p90_ms"] = pct(ps, 90)
        out[name] = d
        ok = ok and d["n"] > 0 and d["errors"] == 0
    print(json.dumps(out))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
