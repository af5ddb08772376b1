"""``python -m demo_app``: the API on :5000 (werkzeug's run_simple) and the frontend on :3000, one command.

    python -m demo_app                                  # then open http://localhost:3000
    python -m demo_app --api-port 5001 --frontend-port 3001
    CORS_ALLOW_ORIGINS=http://localhost:3001 python -m demo_app --frontend-port 3001

Ctrl-C (or SIGTERM) stops both servers. A port that is already taken is reported in one line.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

from werkzeug.serving import make_server, run_simple

from cors_wsgi import ConfigError

if TYPE_CHECKING:
    from flask import Flask

# Loopback and wildcard binds are reached through "localhost" in the browser: the demo's allowed origin
# is http://localhost:3000, and http://127.0.0.1:3000 would be another origin.
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::", "::1"}  # noqa: S104 - names, not binds


def browser_url(host: str, port: int) -> str:
    return f"http://localhost:{port}" if host in _LOCAL_HOSTS else f"http://{host}:{port}"


def tcp_port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (1-65535)")
    return port


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo_app",
        description="Run the cors_wsgi demo: the API and, on another origin, a page that calls it.",
        epilog="CORS_ALLOW_ORIGINS=http://localhost:3001 replaces the allowed origins of demo_app/cors.toml.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address both servers bind (default 127.0.0.1)")
    parser.add_argument("--api-port", type=tcp_port, default=5000, help="API port (default 5000)")
    parser.add_argument("--frontend-port", type=tcp_port, default=3000, help="frontend port (default 3000)")
    args = parser.parse_args(argv)
    if args.api_port == args.frontend_port:
        parser.error("--api-port and --frontend-port must differ")
    return args


def port_in_use(host: str, port: int) -> bool:
    """Whether binding would fail, checked before werkzeug tries (it prints a multi-line message)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Same option the servers use, so a port in TIME_WAIT after a restart is not reported busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def origin_is_allowed(api: Flask, origin: str) -> bool:
    """Whether the API's policy lets ``origin`` call GET /api/data.

    Asked with a preflight, which the middleware answers alone: it never reaches the app or its counters.
    """
    headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    return api.test_client().options("/api/data", headers=headers).status_code == 204


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same clean path as Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    # Started from a shell that ignores SIGINT (a background job: `./dev demo &`), Python keeps it ignored
    # and Ctrl-C (or `kill -INT`) would do nothing: take the default back, so SIGINT always stops the demo.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = parse_args(argv)
    for name, port in (("--api-port", args.api_port), ("--frontend-port", args.frontend_port)):
        try:
            busy = port_in_use(args.host, port)
        except OSError as exc:
            print(f"error: cannot bind {args.host}:{port}: {exc.strerror}", file=sys.stderr)
            return 1
        if busy:
            print(
                f"error: port {port} on {args.host} is already in use; stop what uses it or pass {name} N",
                file=sys.stderr,
            )
            return 1

    from .app import CONFIG_PATH, create_app  # after the port check: importing Flask takes a moment

    # The library logs to "cors_wsgi" and leaves the output to the application: here, the terminal, so that
    # a write the guard refuses shows up next to werkzeug's request line.
    shown = logging.StreamHandler()
    shown.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger("cors_wsgi").addHandler(shown)

    try:
        api = create_app()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    api_url = browser_url(args.host, args.api_port)
    frontend_url = browser_url(args.host, args.frontend_port)
    from .frontend import frontend_app

    frontend = make_server(args.host, args.frontend_port, frontend_app(api_url), threaded=True)
    frontend_thread = threading.Thread(target=frontend.serve_forever, name="frontend", daemon=True)
    frontend_thread.start()

    print(f"cors_wsgi demo: CORS rules from {CONFIG_PATH} (CORS_ALLOW_ORIGINS overrides the origins)")
    print(f"  frontend: {frontend_url}   <- open this in a browser")
    print(f"  API:      {api_url}/api/data")
    if not origin_is_allowed(api, frontend_url):
        # The most common demo mistake: moving the frontend without allowing its new origin.
        print(
            f"warning: the CORS policy does not allow {frontend_url}, so the browser will block the page's "
            f"requests; start with CORS_ALLOW_ORIGINS={frontend_url}"
        )
    print("Press Ctrl-C to stop both.", flush=True)

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        # serve_forever inside run_simple swallows KeyboardInterrupt and closes the socket, then returns.
        run_simple(args.host, args.api_port, api, threaded=True, use_reloader=False, use_debugger=False)
    except KeyboardInterrupt:
        pass  # Ctrl-C arrived before run_simple's own loop started
    finally:
        frontend.shutdown()
        frontend.server_close()
        frontend_thread.join(timeout=5)
    print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
