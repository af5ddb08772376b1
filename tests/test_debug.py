"""Debug mode: the 403 body that explains itself, DEBUG logging that cannot be injected, and the helpers.

CVE-2024-1681 (flask-cors): request values written to logs unescaped let a client forge log lines with
CR/LF. Here every request value goes through ``safe_repr`` (repr, escape, truncate) before a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import webtest

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.explain import origin_hint
from cors_wsgi.logsafe import safe_repr

CONFIGURED = ["https://app.example.com", "https://*.example.org", "http://localhost:3000"]
POLICY = CORSPolicy(
    allow_origins=CONFIGURED,
    allow_methods=["GET", "PUT"],
    allow_headers=["content-type", "x-token"],
    allow_credentials=True,
)
POLICY_WORDS = ["app.example.com", "example.org", "localhost", "3000", "PUT", "x-token", "content-type"]
CRLF_ORIGIN = "https://evil.net\r\nINJECTED-LINE: forged\r\n"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def client(debug: bool) -> webtest.TestApp:
    return webtest.TestApp(CORSMiddleware(app, POLICY, debug=debug))


def refused_preflight(
    c: webtest.TestApp, origin: str, method: str = "PUT", headers: str | None = None
) -> webtest.TestResponse:
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    res = c.options("/x", headers=h, status=403)
    assert not [k for k in res.headers if k.lower().startswith("access-control-allow-")]
    return res


# --------------------------------------------------------------------------------------------------------
# 403 body with debug on: every reason, with hints


def test_debug_body_lists_every_reason_with_origin_hint() -> None:
    res = refused_preflight(client(True), "http://app.example.com", method="DELETE", headers="x-token,x-evil")
    body = res.text
    assert res.content_type == "text/plain"
    # reason 1: origin, and the closest configured origin with what differs (the scheme)
    assert "http://app.example.com" in body
    assert "https://app.example.com" in body
    assert "scheme" in body.lower()
    # reason 2: the method
    assert "DELETE" in body
    # reason 3: exactly which requested header is not allowed (x-token is allowed, so not named as refused)
    assert "x-evil" in body
    refused_lines = [line for line in body.splitlines() if "x-evil" in line]
    assert refused_lines
    assert all("x-token" not in line for line in refused_lines)  # allowed, so not named as refused


@pytest.mark.parametrize(
    ("origin", "word"),
    [
        ("https://app.example.com:8443", "port"),
        ("https://app.example.com/", "slash"),
        ("https://APP.example.com", "case"),
        ("https://example.org", "subdomain"),
        ("http://localhost:3001", "port"),
    ],
    ids=["port", "trailing-slash", "case", "bare-apex-of-wildcard", "localhost-port"],
)
def test_debug_body_hint_names_the_difference(origin: str, word: str) -> None:
    body = refused_preflight(client(True), origin).text
    assert word in body.lower(), body


# Debug mode, allowed origin, refused method or header: an ok preflight that grants the origin alone, so
# the browser's console names the method or header at fault; the reason goes to the log.


def test_debug_allowed_origin_refused_method_names_the_method(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        res = client(True).options(
            "/x",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"},
            status=204,
        )
    assert res.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert (
        "PATCH" not in res.headers["Access-Control-Allow-Methods"]
    )  # the browser: "Method PATCH is not allowed"
    assert "Access-Control-Max-Age" not in res.headers  # a failure is never cached
    assert res.body == b""
    (line,) = [r.getMessage() for r in caplog.records if "preflight" in r.getMessage()]
    assert "refused (204)" in line
    assert "PATCH" in line
    assert "scheme" not in line.lower()  # the origin is fine: no origin hint


def test_debug_allowed_origin_refused_header_names_the_header(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        res = client(True).options(
            "/x",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-token,x-evil",
            },
            status=204,
        )
    assert res.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert res.headers["Access-Control-Allow-Headers"] == "x-token"  # x-evil left out: the console names it
    assert any("x-evil" in r.getMessage() for r in caplog.records)


def test_without_debug_the_same_preflights_are_plain_403s() -> None:
    c = client(False)
    refused_preflight(c, "https://app.example.com", method="PATCH")
    refused_preflight(c, "https://app.example.com", method="PUT", headers="x-token,x-evil")


def test_debug_refused_origin_is_still_a_403_with_its_reasons() -> None:
    body = refused_preflight(client(True), "http://app.example.com", method="PATCH").text
    assert "PATCH" in body
    assert "scheme" in body.lower()


def test_debug_body_does_not_let_request_values_forge_lines() -> None:
    body = refused_preflight(client(True), CRLF_ORIGIN).text
    assert "\nINJECTED-LINE" not in body
    assert "\rINJECTED-LINE" not in body
    assert "INJECTED-LINE" in body  # it is shown, escaped


# --------------------------------------------------------------------------------------------------------
# 403 body with debug off: short, the same whatever went wrong, nothing about the policy


def test_non_debug_body_is_short_uniform_and_policy_free() -> None:
    c = client(False)
    bodies = {
        refused_preflight(c, "http://app.example.com").body,
        refused_preflight(c, "https://app.example.com", method="DELETE").body,
        refused_preflight(c, "https://app.example.com", headers="x-evil").body,
        refused_preflight(c, "https://APP.example.com:8443/").body,
    }
    assert len(bodies) == 1, bodies
    (body,) = bodies
    assert 0 < len(body) <= 100
    text = body.decode()
    for word in [*POLICY_WORDS, "scheme", "port", "DELETE", "x-evil"]:
        assert word.lower() not in text.lower(), (word, text)


def test_debug_off_is_the_default() -> None:
    res = webtest.TestApp(CORSMiddleware(app, POLICY)).options(
        "/x", headers={"Origin": "http://app.example.com", "Access-Control-Request-Method": "PUT"}, status=403
    )
    assert "https://app.example.com" not in res.text
    assert len(res.body) <= 100


# --------------------------------------------------------------------------------------------------------
# logging: DEBUG on "cors_wsgi", values repr()'d and truncated (CVE-2024-1681)


def _cors_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "cors_wsgi" or r.name.startswith("cors_wsgi.")]


def test_debug_logs_each_decision_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    c = client(True)
    c.options("/x", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"})
    c.get("/x", headers={"Origin": "https://a.example.org"})
    refused_preflight(c, "https://evil.net")
    c.get("/x", headers={"Origin": "https://evil.net"})
    records = _cors_records(caplog)
    assert len(records) >= 4, [r.getMessage() for r in records]
    assert all(r.levelno == logging.DEBUG for r in records)
    text = "\n".join(r.getMessage() for r in records)
    assert "'https://a.example.org'" in text  # repr()'d: quoted
    assert "'https://evil.net'" in text


def test_no_debug_logging_when_debug_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    c = client(False)
    c.get("/x", headers={"Origin": "https://app.example.com"})
    refused_preflight(c, "https://evil.net")
    assert _cors_records(caplog) == []


@pytest.mark.parametrize(
    ("origin", "acrm", "acrh"),
    [
        (CRLF_ORIGIN, "PUT", None),
        ("https://app.example.com", "PUT\r\nINJECTED-LINE: forged", None),
        ("https://app.example.com", "PUT", "x-a\r\nINJECTED-LINE: forged"),
        ("https://evil.net\nINJECTED-LINE: lf only", "PUT", None),
        ("https://evil.net\rINJECTED-LINE: cr only", "PUT", None),
        ("https://evil.net\x85INJECTED-LINE: NEL", "PUT", None),
        ("https://evil.net\u2028INJECTED-LINE: unicode line separator", "PUT", None),
        ("https://evil.net\x1b[2J\x00INJECTED-LINE: terminal escape", "PUT", None),
    ],
    ids=["crlf-origin", "crlf-acrm", "crlf-acrh", "lf", "cr", "nel", "u2028", "ansi-nul"],
)
def test_cve_2024_1681_log_injection_impossible(
    caplog: pytest.LogCaptureFixture, origin: str, acrm: str, acrh: str | None
) -> None:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    c = webtest.TestApp(CORSMiddleware(app, POLICY, debug=True))
    headers = {"Origin": origin, "Access-Control-Request-Method": acrm}
    if acrh is not None:
        headers["Access-Control-Request-Headers"] = acrh
    c.options("/x", headers=headers, expect_errors=True)
    c.get("/x", headers={"Origin": origin})
    records = _cors_records(caplog)
    assert records
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    for record in records:
        line = formatter.format(record)
        assert not any(ch in line for ch in "\r\n\x00\x85\u2028\x1b"), repr(line)
    if "INJECTED-LINE" in origin:
        assert any("INJECTED-LINE" in r.getMessage() for r in records)  # logged, but escaped


def test_log_values_are_truncated(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    huge = "https://" + "a" * 100_000 + ".example.com"
    c = webtest.TestApp(CORSMiddleware(app, POLICY, debug=True))
    c.get("/x", headers={"Origin": huge})
    c.options(
        "/x",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-a," * 25_000,
        },
        expect_errors=True,
    )
    records = _cors_records(caplog)
    assert len(records) >= 2
    for record in records:
        assert len(record.getMessage()) < 2_000, len(record.getMessage())


def test_debug_body_is_bounded_for_huge_requests() -> None:
    huge_headers = ",".join(f"x-h{i}" for i in range(20_000))
    res = refused_preflight(client(True), "https://" + "a" * 100_000 + ".example.com", headers=huge_headers)
    assert len(res.body) < 8_000


# --------------------------------------------------------------------------------------------------------
# safe_repr


@pytest.mark.parametrize(
    "value",
    ["plain", "a\r\nb", "\x00\x1b[31m", "\x85\u2028\u2029", "é ü ☃", b"bytes\r\n", 12, None, ("t", "\n")],
    ids=["plain", "crlf", "nul-ansi", "unicode-newlines", "non-ascii", "bytes", "int", "none", "tuple"],
)
def test_safe_repr_never_emits_line_breaks_or_controls(value: object) -> None:
    out = safe_repr(value)
    assert all(ch.isprintable() for ch in out), repr(out)
    assert len(out) <= 120


def test_safe_repr_is_repr_for_short_printable_values() -> None:
    for value in ("https://app.example.com", 42, None, ("GET", "PUT"), "é"):
        assert safe_repr(value) == repr(value)


@pytest.mark.parametrize("limit", [1, 5, 10, 40, 120, 500])
def test_safe_repr_truncates_to_limit(limit: int) -> None:
    out = safe_repr("x" * 10_000, limit=limit)
    assert len(out) <= limit
    assert out.startswith("'x"[:limit])
    if limit >= 10:
        assert out.endswith("...") or "10002" in out or "10000" in out


def test_safe_repr_escapes_hostile_custom_repr() -> None:
    class Sneaky:
        def __repr__(self) -> str:
            return "ok\r\nINJECTED-LINE: forged"

    out = safe_repr(Sneaky())
    assert "\r" not in out
    assert "\n" not in out
    assert "INJECTED-LINE" in out


def test_safe_repr_survives_a_repr_that_raises() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("boom\r\n")

    out = safe_repr(Broken())
    assert "Broken" in out
    assert "\n" not in out


def test_safe_repr_truncation_never_cuts_into_a_raw_control() -> None:
    value = "a" * 100 + "\r\n" * 100
    for limit in range(1, 140):
        out = safe_repr(value, limit=limit)
        assert "\r" not in out
        assert "\n" not in out
        assert len(out) <= limit


# --------------------------------------------------------------------------------------------------------
# origin_hint

HINT_CASES: list[tuple[str, str, str]] = [
    ("http://app.example.com", "https://app.example.com", "scheme"),
    ("https://app.example.com:8443", "https://app.example.com", "port"),
    ("https://app.example.com:443", "https://app.example.com", "port"),
    ("https://app.example.com/", "https://app.example.com", "trailing slash"),
    ("https://app.example.com/api", "https://app.example.com", "path"),
    ("https://APP.Example.com", "https://app.example.com", "case"),
    ("https://x.app.example.com", "https://app.example.com", "subdomain"),
    ("https://example.org", "https://*.example.org", "subdomain"),
    ("http://a.example.org", "https://*.example.org", "scheme"),
    ("http://localhost:3001", "http://localhost:3000", "port"),
    ("http://localhost", "http://localhost:3000", "port"),
    ("https://app.example.com.", "https://app.example.com", "trailing dot"),
]


@pytest.mark.parametrize(("origin", "closest", "word"), HINT_CASES, ids=[c[0] for c in HINT_CASES])
def test_origin_hint_names_closest_and_difference(origin: str, closest: str, word: str) -> None:
    hint = origin_hint(origin, CONFIGURED)
    assert hint is not None
    assert closest in hint
    assert word in hint.lower()
    # the closest one only: no other configured origin is offered
    for other in CONFIGURED:
        if other != closest:
            assert other not in hint


@pytest.mark.parametrize(
    "origin", ["https://totally-unrelated.net", "null", "", "https://evil.net/.example.com" + "x" * 500]
)
def test_origin_hint_none_when_nothing_is_close(origin: str) -> None:
    assert origin_hint(origin, CONFIGURED) is None


def test_origin_hint_empty_configuration() -> None:
    assert origin_hint("https://app.example.com", []) is None
    assert origin_hint("https://app.example.com", ["*"]) is None


def test_origin_hint_is_log_safe_and_bounded() -> None:
    for origin in (CRLF_ORIGIN, "http://app.example.com\r\nX: y", "https://app.example.com/" + "\n" * 10_000):
        hint = origin_hint(origin, CONFIGURED)
        if hint is not None:
            assert "\r" not in hint
            assert "\n" not in hint
            assert len(hint) < 1_000
    huge = "https://" + "a" * 100_000 + ".example.com"
    hint = origin_hint(huge, CONFIGURED)
    assert hint is None or len(hint) < 1_000


def test_origin_hint_cost_with_a_long_origin_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debug mode must not turn a refused request into seconds of difflib: cheap bounds filter first."""
    import difflib

    calls = {"ratio": 0}
    real_ratio = difflib.SequenceMatcher.ratio

    def counting_ratio(self: difflib.SequenceMatcher[str]) -> float:
        calls["ratio"] += 1
        return real_ratio(self)

    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", counting_ratio)
    configured = [f"https://service-{i:04d}.internal-example.net" for i in range(2000)]
    assert origin_hint("https://zz.evil.org", configured) is None
    assert calls["ratio"] < 50, calls
    calls["ratio"] = 0
    hint = origin_hint("http://service-0042.internal-example.net", configured)
    assert hint is not None
    assert "https://service-0042.internal-example.net" in hint
    assert "scheme" in hint


def test_debug_log_of_a_refused_actual_request_names_the_closest_allowed_origin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        res = client(True).get("/x", headers={"Origin": "http://app.example.com"})
    assert "Access-Control-Allow-Origin" not in res.headers
    (line,) = [r.getMessage() for r in caplog.records if "origin=" in r.getMessage()]
    assert "refused" in line
    assert "closest allowed origin is 'https://app.example.com'" in line
    assert "scheme" in line
