#!/usr/bin/python3
"""API stand-in for the failover drill: a loopback HTTP server that is healthy
only while its database answers as a read-write primary.

Usage: api_standin.py STATE_DIR

It listens on API_PORT from STATE/ports.env and, on every request, reads the
database port from STATE/api.target (the API's "configuration": the failover
and failback actions repoint it by rewriting that file) and asks that server,
through psql over the unix socket in STATE/sock, whether it is out of
recovery. GET /health answers 200 "ok db=PORT" or 503 with the reason.
Writes its pid to STATE/api.pid once listening; SIGTERM stops it.
Standard library only.
"""
import glob
import http.server
import os
import signal
import subprocess
import sys

STATE = os.path.abspath(sys.argv[1])
PORTS = dict(
    line.strip().split("=", 1)
    for line in open(os.path.join(STATE, "ports.env"))
    if "=" in line
)
PSQL = os.path.join(
    os.environ.get("PGBIN")
    or sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1],
    "psql",
)


def database_state():
    """(healthy, detail) for the database the API is configured to use."""
    try:
        with open(os.path.join(STATE, "api.target")) as f:
            port = f.read().strip()
    except OSError as e:
        return False, f"no api.target: {e}"
    try:
        run = subprocess.run(
            [PSQL, "-X", "-At", "-h", os.path.join(STATE, "sock"), "-p", port,
             "-U", "postgres", "-d", "app", "-c", "SELECT pg_is_in_recovery()"],
            capture_output=True, text=True, timeout=2,
            env={"PGCONNECT_TIMEOUT": "2", "PATH": "/usr/bin:/bin"},
        )
    except subprocess.TimeoutExpired:
        return False, f"db={port}: no answer within 2s"
    if run.returncode != 0:
        return False, f"db={port}: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else 'psql failed'}"
    if run.stdout.strip() != "f":
        return False, f"db={port}: read-only (in recovery)"
    return True, f"db={port}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] not in ("/health", "/"):
            self.send_error(404)
            return
        ok, detail = database_state()
        body = (("ok " if ok else "unavailable ") + detail + "\n").encode()
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # HAProxy probes five times a second; keep the log quiet.


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(PORTS["API_PORT"])), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    pidfile = os.path.join(STATE, "api.pid")
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(pidfile + ".tmp", pidfile)
    print(f"api stand-in pid {os.getpid()} on 127.0.0.1:{PORTS['API_PORT']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
