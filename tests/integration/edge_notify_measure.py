#!/usr/bin/env python3
"""edge_notify_measure.py -- renews one name ROUNDS times the way the primer does and measures how soon the edge serves each new serial.

Usage: edge_notify_measure.py NAME ROUNDS CERTDIR
  CERTDIR/full-<n>.pem for n in 0..ROUNDS: full chains whose leaf serial is
  0x1000 + n (the key, d2:<NAME> p, is already in Redis). Environment (the
  stack's env): REDIS_URL (for the port), CERTFLEET_REDIS_PASSWORD_PRIMER,
  CERTFLEET_EDGE_TLS_PORT, CERTFLEET_REDIS_PRIME_DB.

One Redis connection as the primer's ACL user does every HSET d2:<NAME> f
and PUBLISH certfleet:certs:changed <NAME>; the clock starts just before
PUBLISH and stops when a TLS handshake with the edge returns the new serial
(handshakes are polled back to back). Handshakes close with RST (SO_LINGER
0) so that no TIME_WAIT is left on ports the stack's daemons bind. Prints
one line per renewal and a summary; exits 1 when a renewal is not served
within DEADLINE_S.
"""
import os
import socket
import ssl
import struct
import sys
import time

CHANNEL = b"certfleet:certs:changed"
DEADLINE_S = 10.0


def resp_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Redis:
    """Just enough RESP2 for this test: commands and their replies."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise IOError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise IOError("redis: " + rest.decode())
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise IOError("redis: unexpected reply %r" % line)

    def cmd(self, *args):
        self.sock.sendall(resp_command(*args))
        return self._reply()

    def quit(self):
        # the server closes first: its port keeps the TIME_WAIT
        self.cmd("QUIT")
        self.sock.close()


def der_tlv(b, i):
    """(tag, start of value, length) of the DER element at i."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, n


def der_serial(der):
    """The serial number of a DER certificate, as upper-case hex."""
    _, cert, _ = der_tlv(der, 0)        # Certificate SEQUENCE
    _, i, _ = der_tlv(der, cert)        # TBSCertificate SEQUENCE
    tag, v, n = der_tlv(der, i)
    if tag == 0xA0:                     # [0] version
        tag, v, n = der_tlv(der, v + n)
    if tag != 0x02:
        raise ValueError("no serial number")
    return "%X" % int.from_bytes(der[v:v + n], "big")


def served_serial(port, sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with ctx.wrap_socket(raw, server_hostname=sni) as s:
        return der_serial(s.getpeercert(binary_form=True))


def await_serial(port, sni, want, t0):
    """Seconds from t0 until sni is served with want, or None past the deadline."""
    got = None
    while time.monotonic() - t0 < DEADLINE_S:
        got = served_serial(port, sni)
        if got == want:
            return time.monotonic() - t0
    print("  %s: still serial %s after %.0f s, expected %s" % (sni, got, DEADLINE_S, want))
    return None


def main():
    name, rounds, certdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    redis_port = int(os.environ["REDIS_URL"].rsplit(":", 1)[1])
    tls_port = int(os.environ["CERTFLEET_EDGE_TLS_PORT"])
    db = os.environ.get("CERTFLEET_REDIS_PRIME_DB", "9")
    key = "d2:" + name

    r = Redis(redis_port)
    r.cmd("AUTH", "certfleet-primer", os.environ["CERTFLEET_REDIS_PASSWORD_PRIMER"])
    r.cmd("SELECT", db)

    def full(n):
        with open(os.path.join(certdir, "full-%d.pem" % n), "rb") as f:
            return f.read()

    # round 0 puts the first certificate in the edge's cache
    r.cmd("HSET", key, "f", full(0))
    t0 = time.monotonic()
    r.cmd("PUBLISH", CHANNEL, name)
    if await_serial(tls_port, name, "%X" % 0x1000, t0) is None:
        return 1
    times, missed = [], 0
    for n in range(1, rounds + 1):
        # the cache holds certificate n-1: the last handshake read it
        r.cmd("HSET", key, "f", full(n))
        t0 = time.monotonic()
        r.cmd("PUBLISH", CHANNEL, name)
        s = await_serial(tls_port, name, "%X" % (0x1000 + n), t0)
        if s is None:
            missed += 1
        else:
            times.append(s * 1000)
            print("renewal %2d: new serial served after %6.1f ms" % (n, s * 1000))
    r.quit()
    if times:
        times.sort()
        print("# renewal -> new serial served, PUBLISH to handshake, %d renewals (ms): "
              "min %.1f median %.1f p90 %.1f max %.1f"
              % (len(times), times[0], times[len(times) // 2],
                 times[min(len(times) - 1, int(len(times) * 0.9))], times[-1]))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
