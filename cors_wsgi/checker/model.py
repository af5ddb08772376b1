"""Plain data the checker passes around: the request a page would make, what came back, the verdict.

>>> req = CheckRequest(url="http://127.0.0.1:5000/api/items", origin="http://localhost:3000")
>>> req.method, req.credentials
('GET', False)
>>> Response(204, (("Access-Control-Allow-Origin", "*"),)).get("access-control-allow-origin")
'*'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CheckRequest:
    """What the page's script asks for: ``fetch(url, {method, headers, credentials})`` from ``origin``.

    ``method`` and ``headers`` are taken as the script would pass them; the checker applies the
    browser's normalisation itself. ``private_network`` asks for a Private Network Access preflight
    (what Chromium does when a public page fetches a private or loopback address).
    """

    url: str
    origin: str
    method: str = "GET"
    headers: Headers = ()
    credentials: bool = False
    body: bytes | None = None
    private_network: bool = False
    browser: Literal["chromium", "firefox", "webkit"] = "chromium"  # the engine whose verdict is given


BROWSERS = ("chromium", "firefox", "webkit")


@dataclass(frozen=True)
class Response:
    """A response as the browser sees it: status and the header lines, repeats kept, in order."""

    status: int
    headers: Headers = ()
    reason: str = ""
    body: bytes = b""  # the first bytes only, for display (a debug 403 body says why)

    def get_all(self, name: str) -> list[str]:
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    def get(self, name: str) -> str | None:
        """Fetch "get" a header: repeated lines combined with ", " (what the browser compares)."""
        values = self.get_all(name)
        return ", ".join(values) if values else None


@dataclass(frozen=True)
class Failure:
    """Why the browser blocks the response: Chromium's error name and console text, and a concrete fix."""

    code: str  # Chromium's CorsError name, e.g. "PreflightMissingAllowOriginHeader"
    message: str  # Chromium's text after "has been blocked by CORS policy: "
    fix: str


@dataclass(frozen=True)
class Step:
    """One request the browser sends and what it concluded from the response."""

    kind: Literal["preflight", "actual", "redirect", "probe"]  # probes: diagnosis, not sent by browsers
    method: str
    url: str
    request_headers: Headers
    response: Response
    failure: Failure | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: PASS when the page's script can read the final response."""

    request: CheckRequest
    steps: tuple[Step, ...]
    failure: Failure | None = None
    console: str | None = None  # the full line Chromium's console would print
    preflight_reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    readable_headers: tuple[str, ...] = field(default=())  # response headers the script can read
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.failure is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (what ``check --json`` prints)."""
        req = self.request
        return {
            "verdict": "PASS" if self.passed else "FAIL",
            "request": {
                "url": req.url,
                "origin": req.origin,
                "method": req.method,
                "headers": [list(h) for h in req.headers],
                "credentials": "include" if req.credentials else "same-origin",
                "private_network": req.private_network,
                "browser": req.browser,
            },
            "preflight_reasons": list(self.preflight_reasons),
            "steps": [
                {
                    "kind": step.kind,
                    "method": step.method,
                    "url": step.url,
                    "request_headers": [list(h) for h in step.request_headers],
                    "status": step.response.status,
                    "response_headers": [list(h) for h in step.response.headers],
                    "ok": step.failure is None,
                    "notes": list(step.notes),
                }
                for step in self.steps
            ],
            "failure": None
            if self.failure is None
            else {
                "code": self.failure.code,
                "message": self.failure.message,
                "console": self.console,
                "fix": self.failure.fix,
            },
            "warnings": list(self.warnings),
            "readable_headers": list(self.readable_headers),
            "notes": list(self.notes),
        }
