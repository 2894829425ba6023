#!/usr/bin/env python3
"""What a real browser does with the class's host names (docs/classroom.md,
"Host names, and what browsers do with them"), checked by hand, not in CI.

    python3 crates/classroom/browser-check.py firefox-esr   # or: chromium
    python3 crates/classroom/browser-check.py chromium --quick   # skip the 2-minute wait

Starts a server of its own on two free loopback ports (127.0.0.1 and ::1),
runs the browser headless with a fresh profile on one start page, and logs
every request the browser makes: Host, Cookie, Origin, Sec-Fetch-Site. The
pages chain one check into the next:

  (a) app.ann.localhost, evil.ann.localhost, ann.attacker.localhost and
      bob.localhost are reached at all (no /etc/hosts lines, no flag);
  (b) evil.ann.localhost sets `Domain=ann.localhost`: does it reach
      app.ann.localhost? (`Domain=localhost` must not be accepted);
  (c) a form on ann.attacker.localhost posts to app.ann.localhost: which of
      its cookies (SameSite=Lax, =Strict, none, no attribute) go along, at
      once and again after two minutes (Chromium's "Lax+POST" window); the
      same from evil.ann.localhost and by a link;
  (d) 127.0.0.1 on two ports, and localhost against 127.0.0.1.

Only loopback is used. The browser and its profile are removed at the end.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP, EVIL, CROSS = "app.ann.localhost", "evil.ann.localhost", "ann.attacker.localhost"
LATE_MS = 130_000
LOG, DONE = [], threading.Event()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


P1, P2 = free_port(), free_port()
QUICK = "--quick" in sys.argv


def url(host, path, port=None):
    return f"http://{host}:{port or P1}{path}"


def go(to):
    return f"<script>setTimeout(() => location = {json.dumps(to)}, 200)</script>"


def post(to, delay_ms=0):
    return (f"<form method=POST action={json.dumps(to)}><input type=hidden name=x value=1></form>"
            f"<script>setTimeout(() => document.forms[0].submit(), {delay_ms})</script>")


def age(minutes):
    return f"; Path=/; Max-Age={minutes * 60}"


# path -> (cookies to set, page)
STEPS = {
    "/start": (["lax=1; SameSite=Lax" + age(60), "strict=1; SameSite=Strict" + age(60),
                "plain=1" + age(60), "none_insecure=1; SameSite=None" + age(60)],
               "<script>fetch('/beacon?secure=' + isSecureContext).finally(() => "
               f"setTimeout(() => location = {json.dumps(url(EVIL, '/toss'))}, 200))</script>"),
    "/toss": (["tossed=1; Domain=ann.localhost" + age(60), "too_wide=1; Domain=localhost" + age(60)],
              go(url(APP, "/after-toss"))),
    "/after-toss": ([], go(url(CROSS, "/csrf"))),
    "/csrf": ([], post(url(APP, "/cross-site-post"))),
    "/cross-site-post": ([], go(url(EVIL, "/same-site-form"))),
    "/same-site-form": ([], post(url(APP, "/same-site-post"))),
    "/same-site-post": ([], go(url(CROSS, "/link"))),
    "/link": ([], go(url(APP, "/cross-site-link"))),
    "/cross-site-link": ([], go(url("bob.localhost", "/other-student"))),
    "/other-student": ([], go(url("127.0.0.1", "/ip-set"))),
    "/ip-set": (["iplax=1; SameSite=Lax" + age(60), "ipdomain=1; Domain=127.0.0.1" + age(60)],
                go(url("127.0.0.1", "/ip-other-port", P2))),
    "/ip-other-port": ([], post(url("127.0.0.1", "/ip-post-from-other-port"))),
    "/ip-post-from-other-port": ([], go(url("localhost", "/localhost-page"))),
    "/localhost-page": ([], post(url("127.0.0.1", "/ip-post-from-localhost"))),
    "/ip-post-from-localhost": ([], go(url(CROSS, "/late") if not QUICK else url("localhost", "/done"))),
    "/late": ([], post(url(APP, "/late-cross-site-post"), LATE_MS)),
    "/late-cross-site-post": ([], go(url("localhost", "/done"))),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def answer(self):
        path = self.path.split("?")[0]
        if path != "/favicon.ico":
            LOG.append({"method": self.command, "host": self.headers.get("host", ""), "path": self.path,
                        "cookie": self.headers.get("cookie") or "",
                        "origin": self.headers.get("origin") or "",
                        "site": self.headers.get("sec-fetch-site") or "",
                        "via": self.connection.getsockname()[0]})
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        cookies, page = STEPS.get(path, ([], "ok"))
        body = f"<!DOCTYPE html><title>{path}</title>{page}".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        for cookie in cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if path == "/done":
            DONE.set()

    do_GET = do_POST = answer


class Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def browser_command(binary, profile):
    if "firefox" in binary:
        with open(os.path.join(profile, "user.js"), "w") as prefs:
            for pref in ["browser.shell.checkDefaultBrowser", "datareporting.policy.dataSubmissionEnabled",
                         "toolkit.telemetry.enabled", "app.update.enabled",
                         "network.captive-portal-service.enabled", "network.connectivity-service.enabled"]:
                prefs.write(f'user_pref("{pref}", false);\n')
        return [binary, "--headless", "--no-remote", "-profile", profile, url(APP, "/start")]
    flags = ["--headless", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    return [binary, *flags, url(APP, "/start")]


def main():
    binary = shutil.which(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "firefox-esr")
    if not binary:
        sys.exit("no such browser on PATH; give firefox-esr or chromium")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    servers = [ThreadingHTTPServer(("127.0.0.1", p), Handler) for p in (P1, P2)]
    try:
        servers += [Server6(("::1", p), Handler) for p in (P1, P2)]
    except OSError:
        pass
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="sessionlab-browser-check-")
    browser = subprocess.Popen(browser_command(binary, profile), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    finished = DONE.wait(timeout=60 + (0 if QUICK else LATE_MS / 1000))
    os.killpg(browser.pid, signal.SIGKILL)
    browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
    print(f"{version}; getent hosts {APP}: "
          f"{'resolves' if subprocess.run(['getent', 'hosts', APP], capture_output=True).returncode == 0 else 'fails'}")
    print(f"ports {P1} and {P2}; {'all steps ran' if finished else 'TIMED OUT before /done'}\n")
    print(f"{'request':58} {'Sec-Fetch-Site':14} {'via':10} cookies sent")
    for hit in LOG:
        request = f"{hit['method']} {hit['host']}{hit['path']}"
        print(f"{request[:58]:58} {hit['site']:14} {hit['via']:10} {hit['cookie'] or '-'}")
    seen = " ".join(hit["cookie"] for hit in LOG)
    print("\nnever sent anywhere:", ", ".join(c for c in ["too_wide", "none_insecure", "tossed"]
                                               if c + "=" not in seen) or "-")


if __name__ == "__main__":
    main()
