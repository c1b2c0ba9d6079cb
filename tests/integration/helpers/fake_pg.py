"""FAKE PostgreSQL server -- for conditions a real server cannot be made to produce on demand.

This is NOT PostgreSQL. It speaks just enough of the v3 frontend/backend protocol to refuse a
connection the way a real server does in states the tests cannot hold a real server in for as long
as they like: 57P03 "the database system is starting up" (crash recovery, a slow start) and 53300
"sorry, too many clients already". Everything a real server can do on demand (wrong password, missing
role or database, pg_hba rejection, TLS, smart shutdown's 57P03 "shutting down") is tested against a
real server (pg.py), never against this.

Per connection it
  * reads the startup packet; an SSLRequest or GSSENCRequest is answered 'N' (no TLS, no GSS
    encryption) and the real startup packet read next; a CancelRequest is just closed;
  * sends one ErrorResponse (severity FATAL, the chosen SQLSTATE and message) and closes.
After the first `count` connections (default: all of them) it does what `after` says: "close"
(accept and close at once), "hang" (accept and never answer) or "refuse" (stop listening: refused).

In-process use (a thread):
    srv = FakePg(sqlstate="57P03").start();  srv.port;  srv.connections;  srv.stop()
As a program (prints the port on stdout once it listens, runs until killed):
    python3 fake_pg.py [--host 127.0.0.1] [--port 0] --sqlstate 57P03 [--message TEXT]
                       [--count N] [--after close|hang|refuse]
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import threading

MESSAGES = {
    "57P03": "the database system is starting up",
    "53300": "sorry, too many clients already",
    "28P01": 'password authentication failed for user "{user}"',
    "28000": 'role "{user}" does not exist',
    "3D000": 'database "{database}" does not exist',
}

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 196608


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("peer closed")
        buf += chunk
    return buf


def read_startup(conn: socket.socket) -> dict | None:
    """Reads up to the real startup packet; returns its parameters (user, database, ...), or None for
    a cancel request or anything unexpected."""
    for _ in range(3):  # SSLRequest, GSSENCRequest, then the startup packet
        (length,) = struct.unpack("!I", _recv_exact(conn, 4))
        if length < 8 or length > 10000:
            return None
        body = _recv_exact(conn, length - 4)
        (code,) = struct.unpack("!I", body[:4])
        if code in (SSL_REQUEST, GSSENC_REQUEST):
            conn.sendall(b"N")
            continue
        if code != PROTOCOL_3:
            return None
        fields = body[4:].split(b"\0")
        params = {}
        for k, v in zip(fields[0::2], fields[1::2]):
            if k:
                params[k.decode("utf-8", "replace")] = v.decode("utf-8", "replace")
        return params
    return None


def error_response(sqlstate: str, message: str, severity: str = "FATAL") -> bytes:
    fields = b""
    for code, value in ((b"S", severity), (b"V", severity), (b"C", sqlstate), (b"M", message)):
        fields += code + value.encode() + b"\0"
    fields += b"\0"
    return b"E" + struct.pack("!I", len(fields) + 4) + fields


class FakePg:
    def __init__(
        self,
        sqlstate: str = "57P03",
        message: str | None = None,
        count: int | None = None,
        after: str = "close",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        assert after in ("close", "hang", "refuse")
        self.sqlstate = sqlstate
        self.message = message or MESSAGES.get(sqlstate, f"fake error {sqlstate}")
        self.count = count
        self.after = after
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.connections = 0  # accepted so far
        self.startups: list[dict] = []  # parameters of every startup packet read
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"fake-pg-{self.port}", daemon=True)

    def start(self) -> "FakePg":
        self._thread.start()
        return self

    def _serve(self):
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            if self.count is not None and self.connections > self.count:
                if self.after == "hang":
                    self._held.append(conn)
                    continue
                conn.close()
                if self.after == "refuse":
                    self.sock.close()
                    return
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()
            if self.after == "refuse" and self.count is not None and self.connections >= self.count:
                self.sock.close()  # from now on: connection refused
                return

    def _answer(self, conn: socket.socket):
        try:
            conn.settimeout(5)
            params = read_startup(conn)
            if params is not None:
                self.startups.append(params)
                msg = self.message.format(user=params.get("user", ""), database=params.get("database", ""))
                conn.sendall(error_response(self.sqlstate, msg))
        except (OSError, ConnectionError, struct.error):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self._stop.set()
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self._held:
            try:
                c.close()
            except OSError:
                pass
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="FAKE PostgreSQL server that refuses every connection with an error")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--sqlstate", default="57P03")
    ap.add_argument("--message")
    ap.add_argument("--count", type=int)
    ap.add_argument("--after", choices=["close", "hang", "refuse"], default="close")
    a = ap.parse_args(argv)
    srv = FakePg(a.sqlstate, a.message, a.count, a.after, a.host, a.port).start()
    print(srv.port, flush=True)
    try:
        srv._thread.join()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
