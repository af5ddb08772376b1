"""Fixtures for the demo and browser tests: free ports, the demo started as a user starts it, Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Known to work here as root; never --disable-web-security (the point is the browser's real CORS checks).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 20.0

# `tox -e mutation` (pyproject's [tool.mutmut]) picks this profile: the same examples on every run, so a
# mutant is killed by what it changed, never by a new random draw; no deadline and no "too slow" check,
# since the mutated package runs slower.
settings.register_profile(
    "mutation", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def port_is_free(port: int) -> bool:
    # The browser may resolve "localhost" to ::1 as well as 127.0.0.1: the port must be free on both,
    # or a server of a concurrently running test could answer instead of ours.
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                if family == socket.AF_INET6 and not socket.has_ipv6:
                    continue
                return False
    return True


def get_free_port(exclude: frozenset[int] = frozenset()) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port not in exclude and port_is_free(port):
            return port
    raise RuntimeError("no free port found")


@pytest.fixture
def free_port() -> Callable[..., int]:
    """``free_port()`` -> a port free on 127.0.0.1 and ::1; ``free_port(exclude={p})`` avoids ``p``."""

    def pick(exclude: set[int] | frozenset[int] = frozenset()) -> int:
        return get_free_port(frozenset(exclude))

    return pick


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 5.0) -> tuple[int, Any, bytes]:
    """(status, headers, body) of a GET; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def wait_until_serving(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if http_get(url, timeout=1.0)[0] == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
    """Send ``sig`` (Ctrl-C by default), wait, kill if it does not stop; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


@dataclass
class DemoServer:
    """``python -m demo_app`` running in a subprocess, its stdout and stderr in ``log``."""

    proc: subprocess.Popen[bytes]
    api_port: int
    frontend_port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def frontend_url(self) -> str:
        return f"http://localhost:{self.frontend_port}"

    def output(self) -> str:
        # werkzeug colours its request log when it can; compare against the plain text.
        return re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text())


def demo_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CORS_ALLOW_ORIGINS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell does for a background job


def launch_demo(
    log_dir: Path, env: dict[str, str] | None = None, *, sigint_ignored: bool = False
) -> DemoServer:
    """``python -m demo_app`` on two free ports, its frontend origin allowed; returns once both serve.

    The frontend runs on a free port, so CORS_ALLOW_ORIGINS names it, exactly as the README tells a user
    who moves the frontend off :3000. The caller stops it with ``stop(server.proc)``.
    """
    api_port = get_free_port()
    frontend_port = get_free_port(frozenset({api_port}))
    extra = {"CORS_ALLOW_ORIGINS": f"http://localhost:{frontend_port}", **(env or {})}
    log = log_dir / f"demo-{api_port}.log"
    command = [
        sys.executable,
        "-m",
        "demo_app",
        "--api-port",
        str(api_port),
        "--frontend-port",
        str(frontend_port),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=demo_env(extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_ignore_sigint if sigint_ignored else None,
        )
    server = DemoServer(proc, api_port, frontend_port, log, extra)
    try:
        wait_until_serving(f"http://127.0.0.1:{api_port}/api/hits", proc, log)
        wait_until_serving(f"http://127.0.0.1:{frontend_port}/config.js", proc, log)
    except BaseException:
        stop(proc)
        raise
    return server


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Callable[..., DemoServer]]:
    """Start the demo with the real command on free ports (``launch_demo``); stopped at teardown."""
    started: list[DemoServer] = []

    def start(env: dict[str, str] | None = None, *, sigint_ignored: bool = False) -> DemoServer:
        server = launch_demo(tmp_path, env, sigint_ignored=sigint_ignored)
        started.append(server)
        return server

    yield start
    for server in started:
        stop(server.proc)


def browser_missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright; skipped locally without it, a failure under CI."""
    reason = browser_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true, so the real-browser proof may not be skipped")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        yield chromium
        chromium.close()


def require_module(name: str, why: str = "a test dependency") -> Any:
    """Import ``name``; without it, skip locally with the reason, and fail when CI=true."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed ({why}); CI=true, so this test may not be skipped")
        pytest.skip(f"{name} is not installed ({why})")
