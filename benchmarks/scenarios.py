"""What is measured: origin lists, request kinds and the WSGI environs that carry them.

    cfg = main_config()
    environ = request_environ(KINDS["preflight_allowed"], cfg)
    pool = fresh_environs(KINDS["get_allowed"], cfg, 1000, fresh_refused_origin)

Every subject is handed the same ``OriginConfig`` and the same environ, so the numbers differ only by the
CORS layer in between.
"""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Environ = dict[str, Any]

#: The body every app returns: 35 bytes of JSON, as in the issue.
BODY = b'{"message": "hello", "count": 1234}'
assert len(BODY) == 35

PATH = "/api/data"
ALLOWED_ORIGIN = "http://localhost:3000"
REFUSED_ORIGIN = "https://evil.example.net"

#: What every CORS layer is told to allow, besides the origins.
METHODS = ("GET", "POST")
HEADERS = ("content-type",)
MAX_AGE = 600
CREDENTIALS = True


@dataclass(frozen=True)
class OriginConfig:
    """The allowed origins, given once and translated into each layer's own syntax by ``subjects``."""

    label: str
    exact: tuple[str, ...]
    #: Subdomain wildcards written ``https://*.example.com`` (any depth, never the apex).
    wildcards: tuple[str, ...]
    #: The allowed origin a repeated ("warm") request carries; it is the last one to match.
    allowed: str

    @property
    def size(self) -> int:
        return len(self.exact) + len(self.wildcards)


def main_config() -> OriginConfig:
    """A typical production list: two exact origins and one subdomain wildcard."""
    return OriginConfig(
        label="2 exact + 1 wildcard",
        exact=("https://app.example.org", ALLOWED_ORIGIN),
        wildcards=("https://*.example.com",),
        allowed=ALLOWED_ORIGIN,
    )


def exact_config(n: int) -> OriginConfig:
    """``n`` exact origins, the requested one last (a linear scan pays for all of them)."""
    others = tuple(f"https://site{i}.example.org" for i in range(n - 1))
    return OriginConfig(
        label=f"{n:,} exact", exact=(*others, ALLOWED_ORIGIN), wildcards=(), allowed=ALLOWED_ORIGIN
    )


def wildcard_config(n: int) -> OriginConfig:
    """``n`` subdomain wildcards; the requested origin matches only the last one."""
    patterns = tuple(f"https://*.sub{i}.example.com" for i in range(n))
    return OriginConfig(
        label=f"{n} wildcards", exact=(), wildcards=patterns, allowed=f"https://app.sub{n - 1}.example.com"
    )


@dataclass(frozen=True)
class Kind:
    """One kind of request: the method and which CORS headers it carries."""

    key: str
    label: str
    method: str
    #: "allowed", "refused" or None (no Origin header at all).
    origin: str | None
    preflight: bool


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("get_allowed", "GET, allowed origin", "GET", "allowed", preflight=False),
        Kind("get_refused", "GET, refused origin", "GET", "refused", preflight=False),
        Kind("get_no_origin", "GET, no Origin", "GET", None, preflight=False),
        Kind("preflight_allowed", "preflight, allowed", "OPTIONS", "allowed", preflight=True),
        Kind("preflight_refused", "preflight, refused origin", "OPTIONS", "refused", preflight=True),
    )
}
ACTUAL_KINDS = ("get_allowed", "get_refused", "get_no_origin")


def base_environ(method: str, path: str = PATH) -> Environ:
    """A complete PEP 3333 environ for ``method path`` on 127.0.0.1:8000 with no CORS headers."""
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "*/*",
        "HTTP_USER_AGENT": "cors-wsgi-bench",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def request_environ(kind: Kind, cfg: OriginConfig, **override: str) -> Environ:
    """The environ for ``kind`` against ``cfg``; ``override`` replaces CORS header values (adversarial)."""
    env = base_environ(kind.method)
    if kind.origin == "allowed":
        env["HTTP_ORIGIN"] = cfg.allowed
    elif kind.origin == "refused":
        env["HTTP_ORIGIN"] = REFUSED_ORIGIN
    if kind.preflight:
        env["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] = "GET"
        env["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = "content-type"
    for name, value in override.items():
        env[name] = value
    return env


_serial = itertools.count()


def fresh_refused_origin(cfg: OriginConfig) -> str:
    """An origin never seen before in this process and allowed by no list: the full scan, no cache."""
    return f"https://fresh{next(_serial)}.example.net"


def fresh_allowed_origin(cfg: OriginConfig) -> str:
    """A never-seen origin that only the last wildcard of ``cfg`` allows."""
    suffix = cfg.wildcards[-1].split("*", 1)[1]
    return f"https://r{next(_serial)}{suffix}"


def fresh_environs(
    kind: Kind, cfg: OriginConfig, count: int, make_origin: Callable[[OriginConfig], str]
) -> list[Environ]:
    """``count`` environs for ``kind``, each with its own new Origin (built before the clock starts)."""
    template = request_environ(kind, cfg)
    pool = []
    for _ in range(count):
        env = template.copy()
        env["HTTP_ORIGIN"] = make_origin(cfg)
        pool.append(env)
    return pool


#: The hostile requests: (key, label, kind, environ overrides). Refused quickly or answered in linear time.
ADVERSARIAL: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    (
        "acrh_commas",
        "preflight, 64 KiB ACRH of commas",
        "preflight_allowed",
        {"HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "," * 65536},
    ),
    (
        "acrh_spaces",
        "preflight, ACRH of 20,000 spaces",
        "preflight_allowed",
        {"HTTP_ACCESS_CONTROL_REQUEST_HEADERS": " " * 20000},
    ),
    (
        "origin_100kb_preflight",
        "preflight, 100 KB Origin",
        "preflight_allowed",
        {"HTTP_ORIGIN": "https://" + "a" * 100_000 + ".example.com"},
    ),
    (
        "origin_100kb_get",
        "GET, 100 KB Origin",
        "get_allowed",
        {"HTTP_ORIGIN": "https://" + "a" * 100_000 + ".example.com"},
    ),
)
