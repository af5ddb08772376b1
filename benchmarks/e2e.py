"""End to end: the demo API under gunicorn (2 sync workers, loopback), loaded by ``wrk`` for a fixed time.

    result = run_e2e(duration=10, rounds=3)
    result["median_rps"]["with_cors_wsgi"] / result["median_rps"]["plain"]

Both servers run side by side on ports the kernel picks (each socket is bound here and handed to
gunicorn as ``fd://N``, so no other process can take the port in between); ``wrk`` loads them in turn,
round after round, with the same allowed ``Origin`` on every request. Only 127.0.0.1 is ever contacted,
every run stops after ``duration`` seconds, and both servers are stopped on the way out.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.scenarios import ALLOWED_ORIGIN, PATH

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("plain", "with_cors_wsgi")


def ensure_wrk() -> str:
    """Path of ``wrk``; installs Debian's package when running as root, else says how to get it."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        print("installing Debian's wrk for the end-to-end benchmark...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run([apt, "install", "-y", "-q", "wrk"], env=env, check=False).returncode != 0:  # noqa: S603
            subprocess.run([apt, "update", "-q"], env=env, check=True)  # noqa: S603
            subprocess.run([apt, "install", "-y", "-q", "wrk"], env=env, check=True)  # noqa: S603
        found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "the end-to-end benchmark needs wrk: `sudo apt-get install wrk` (Debian/Ubuntu), "
            "or run with --no-e2e"
        )
    return found


@contextlib.contextmanager
def gunicorn(app_name: str, workers: int = 2) -> Iterator[int]:
    """Serve ``benchmarks.e2e_app:<app_name>`` on 127.0.0.1 and yield its port; stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    fd = sock.fileno()
    cmd = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--bind", f"fd://{fd}",
        "--chdir", str(ROOT),
        "--log-level", "warning",
        f"benchmarks.e2e_app:{app_name}",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, pass_fds=(fd,), cwd=ROOT)  # noqa: S603
    try:
        _wait_ready(port, proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        sock.close()


def _get(port: int) -> tuple[int, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", headers={"Origin": ALLOWED_ORIGIN})
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 (always http://127.0.0.1)
        resp.read()
        return resp.status, resp.headers


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before serving")
        try:
            status, _ = _get(port)
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200:
            return
    raise RuntimeError(f"gunicorn on 127.0.0.1:{port} not ready after {timeout} s")


def wrk(wrk_path: str, port: int, duration: float, connections: int = 4, threads: int = 1) -> float:
    """Requests per second over ``duration`` seconds; any non-2xx answer or socket error is an error."""
    cmd = [
        wrk_path, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s",
        "-H", f"Origin: {ALLOWED_ORIGIN}", f"http://127.0.0.1:{port}{PATH}",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 30).stdout  # noqa: S603
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw error answers:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return float(match.group(1))


def run_e2e(
    duration: float = 10.0,
    rounds: int = 3,
    warmup: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Requests/s of each variant per round, their medians and the ratio with / without."""
    wrk_path = ensure_wrk()
    rps: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with gunicorn("plain") as plain_port, gunicorn("with_cors_wsgi") as cors_port:
        ports = {"plain": plain_port, "with_cors_wsgi": cors_port}
        _, headers = _get(cors_port)
        if headers.get("Access-Control-Allow-Origin") != ALLOWED_ORIGIN:
            raise RuntimeError(f"the cors_wsgi server does not answer with CORS headers: {dict(headers)}")
        for port in ports.values():
            wrk(wrk_path, port, warmup)
        for r in range(rounds):
            # Alternate which variant goes first so a slow drift does not favour one side.
            order = VARIANTS if r % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                rps[variant].append(wrk(wrk_path, ports[variant], duration))
                if progress:
                    progress(f"e2e {variant} round {r + 1}: {rps[variant][-1]:.0f} req/s")
    median = {v: statistics.median(values) for v, values in rps.items()}
    return {
        "duration_s": duration,
        "rounds": rounds,
        "workers": 2,
        "rps": rps,
        "median_rps": median,
        "ratio": median["with_cors_wsgi"] / median["plain"],
    }
