"""Adversarial table: every attack class in the CORS notes, through decide() and through the middleware.

Each row names its source (advisory id, spec section or the notes' attack class) in its test id.
A row is checked four ways: the sans-I/O decision for a preflight and for an actual request, the WSGI
middleware driven by webtest (for values webtest will send) and by a raw PEP 3333 environ (for values
no client library would send: CR/LF, NUL, non-ASCII, 100 KB).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import webtest
from raw_wsgi import call_raw

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.decision import Decision, decide

ALLOWED = "https://app.example.com"
POLICY = CORSPolicy(
    allow_origins=[ALLOWED, "https://*.example.com"],
    allow_methods=["GET", "PUT", "PATCH"],
    allow_headers=["content-type", "x-token"],
    expose_headers=["x-request-id"],
    allow_credentials=True,
    max_age=600,
)
# GHSA-vhxv-fg4m-p2w8 (jub0bs/cors): two members that share a suffix.
SUFFIX_POLICY = CORSPolicy(allow_origins=["https://foo.com", "https://bar.com"], allow_methods=["GET", "PUT"])
# A regex policy: the notes require full-match semantics.
REGEX_POLICY = CORSPolicy(allow_origin_regex=r"https://app\.example\.com", allow_methods=["GET", "PUT"])


# --------------------------------------------------------------------------------------------------------
# helpers


def preflight(
    policy: CORSPolicy,
    origin: str | None,
    method: str = "PUT",
    headers: str | None = None,
    private_network: str | None = None,
) -> Decision:
    return decide(
        policy,
        method="OPTIONS",
        origin=origin,
        request_method=method,
        request_headers=headers,
        request_private_network=private_network,
    )


def actual(policy: CORSPolicy, origin: str | None, method: str = "GET") -> Decision:
    return decide(
        policy,
        method=method,
        origin=origin,
        request_method=None,
        request_headers=None,
        request_private_network=None,
    )


def allow_headers_of(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower().startswith("access-control-allow-")]


def header(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name.lower()]


def vary_tokens(headers: Iterable[tuple[str, str]]) -> list[str]:
    return [t.strip().lower() for v in header(headers, "Vary") for t in v.split(",") if t.strip()]


def hostile_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """An app that tries to smuggle its own CORS headers: the middleware must strip them."""
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Access-Control-Allow-Origin", "https://evil.net"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Accept-Encoding"),
        ],
    )
    return [b"app body"]


def assert_wire_safe(headers: Iterable[tuple[str, str]]) -> None:
    """Every header a server would put on the wire: latin-1, no CR/LF/NUL (response splitting)."""
    for name, value in headers:
        assert isinstance(name, str)
        assert isinstance(value, str)
        assert not any(c in value for c in "\r\n\x00"), (name, value)
        value.encode("latin-1")


# --------------------------------------------------------------------------------------------------------
# origin table: (id naming the source, policy, origin, allowed?)

REFUSED_ORIGINS: list[tuple[str, CORSPolicy, str]] = [
    # notes: suffix/prefix tricks
    ("suffix-trick-evil-tail", POLICY, "https://app.example.com.evil.net"),
    ("suffix-trick-wildcard-tail", POLICY, "https://a.example.com.evil.net"),
    ("prefix-trick-no-dot", POLICY, "https://evilexample.com"),
    ("prefix-trick-no-dot-app", POLICY, "https://evilapp.example.co"),
    ("suffix-trick-dash", POLICY, "https://example.com-evil.net"),
    ("suffix-trick-regex-policy", REGEX_POLICY, "https://app.example.com.evil.net"),
    ("prefix-trick-regex-policy-fullmatch", REGEX_POLICY, "https://evil.app.example.com"),
    # notes: unescaped dot in a regex built from a glob
    ("unescaped-dot-apex", POLICY, "https://appxexample.com"),
    ("unescaped-dot-tld", POLICY, "https://app.examplexcom"),
    ("unescaped-dot-wildcard", POLICY, "https://a.examplexcom"),
    ("unescaped-dot-regex-policy", REGEX_POLICY, "https://appxexample.com"),
    # notes: special characters (PortSwigger/Corsy: Safari accepted _ and ` in hosts)
    ("special-char-underscore-tail", POLICY, "https://app.example.com_.evil.net"),
    ("special-char-backtick-tail", POLICY, "https://app.example.com`.evil.net"),
    ("special-char-pct60-tail", POLICY, "https://app.example.com%60.evil.net"),
    ("special-char-underscore-label", POLICY, "https://a_b.example.com"),
    ("special-char-backtick-label", POLICY, "https://evil`.example.com"),
    ("special-char-pct60-label", POLICY, "https://evil%60.example.com"),
    ("special-char-brace", POLICY, "https://app.example.com}.evil.net"),
    ("special-char-asterisk-literal", POLICY, "https://*.example.com"),
    # notes: path / query / fragment tricks
    ("path-trick-slash-suffix", POLICY, "https://evil.net/.example.com"),
    ("query-trick-suffix", POLICY, "https://evil.net?.example.com"),
    ("fragment-trick-suffix", POLICY, "https://evil.net#.example.com"),
    ("path-trailing-slash", POLICY, "https://app.example.com/"),
    ("path-on-allowed", POLICY, "https://app.example.com/path"),
    ("query-on-allowed", POLICY, "https://app.example.com?x=1"),
    ("fragment-on-allowed", POLICY, "https://app.example.com#x"),
    ("backslash-path-trick", POLICY, "https://evil.net\\.example.com"),
    ("userinfo-trick-before", POLICY, "https://evil.net@app.example.com"),
    ("userinfo-trick-after", POLICY, "https://app.example.com@evil.net"),
    # notes: scheme downgrade / confusion
    ("scheme-downgrade-exact", POLICY, "http://app.example.com"),
    ("scheme-downgrade-wildcard", POLICY, "http://a.example.com"),
    ("scheme-ws", POLICY, "wss://app.example.com"),
    ("scheme-missing", POLICY, "app.example.com"),
    ("scheme-relative", POLICY, "//app.example.com"),
    ("scheme-single-slash", POLICY, "https:/app.example.com"),
    ("scheme-no-slash", POLICY, "https:app.example.com"),
    ("scheme-upper-not-serialized-fetch", POLICY, "HTTPS://app.example.com"),
    # notes: other ports
    ("port-other-exact", POLICY, "https://app.example.com:8443"),
    ("port-other-wildcard", POLICY, "https://a.example.com:444"),
    ("port-default-explicit-not-serialized-fetch", POLICY, "https://app.example.com:443"),
    ("port-empty", POLICY, "https://app.example.com:"),
    ("port-out-of-range", POLICY, "https://app.example.com:99999"),
    ("port-non-numeric", POLICY, "https://app.example.com:https"),
    # notes: the bare apex for a *. pattern
    ("bare-apex", POLICY, "https://example.com"),
    ("bare-apex-trailing-dot", POLICY, "https://example.com."),
    ("empty-label-subdomain", POLICY, "https://.example.com"),
    ("double-dot-subdomain", POLICY, "https://a..example.com"),
    # RFC 5890 2.3.1: an LDH label never starts or ends with a hyphen
    ("ldh-rfc5890-leading-hyphen", POLICY, "https://-a.example.com"),
    ("ldh-rfc5890-trailing-hyphen", POLICY, "https://a-.example.com"),
    ("ldh-rfc5890-hyphen-only", POLICY, "https://-.example.com"),
    ("trailing-dot-fqdn", POLICY, "https://app.example.com."),
    # notes: two origins in one header (duplicated Origin lines are comma-joined by servers)
    ("two-origins-comma", POLICY, "https://app.example.com,https://evil.net"),
    ("two-origins-comma-space", POLICY, "https://app.example.com, https://evil.net"),
    ("two-origins-evil-first", POLICY, "https://evil.net, https://app.example.com"),
    ("two-origins-space", POLICY, "https://app.example.com https://evil.net"),
    ("two-origins-same-twice", POLICY, "https://app.example.com, https://app.example.com"),
    # notes: non-ASCII bytes (WSGI hands them over latin-1 decoded)
    ("non-ascii-latin1", POLICY, "https://app.ex\xe4mple.com"),
    ("non-ascii-utf8-as-latin1-homoglyph", POLICY, "https://\xd0\xb0pp.example.com"),
    ("non-ascii-unicode-homoglyph", POLICY, "https://\u0430pp.example.com"),
    ("non-ascii-fullwidth-dot", POLICY, "https://a\uff0eexample.com"),
    ("non-ascii-nbsp", POLICY, "https://app.example.com\xa0"),
    # notes: CR/LF/NUL: never reflect what is not a serialized origin (response splitting)
    ("crlf-header-injection", POLICY, "https://app.example.com\r\nSet-Cookie: a=b"),
    ("lf-only", POLICY, "https://app.example.com\n"),
    ("cr-only", POLICY, "https://app.example.com\r"),
    ("nul-terminated", POLICY, "https://app.example.com\x00"),
    ("nul-truncation", POLICY, "https://app.example.com\x00.evil.net"),
    ("nul-wildcard", POLICY, "https://evil\x00.example.com"),
    ("tab-inside", POLICY, "https://app.example.com\t.evil.net"),
    ("vertical-tab", POLICY, "https://app.example.com\x0b"),
    ("del-char", POLICY, "https://app.example.com\x7f"),
    # notes: case (a serialized origin's host is lower case: URL host parser)
    ("case-upper-host", POLICY, "https://APP.EXAMPLE.COM"),
    ("case-mixed-wildcard", POLICY, "https://A.Example.com"),
    # notes: huge values (bound the length before any regex runs)
    ("huge-100kb-label", POLICY, "https://" + "a" * 100_000 + ".example.com"),
    ("huge-100kb-many-labels", POLICY, "https://" + "a." * 50_000 + "example.com"),
    ("huge-100kb-regex-policy", REGEX_POLICY, "https://app.example.com" + "a" * 100_000),
    # GHSA-vhxv-fg4m-p2w8: list members sharing a suffix
    ("ghsa-vhxv-fg4m-p2w8-barfoo", SUFFIX_POLICY, "https://barfoo.com"),
    ("ghsa-vhxv-fg4m-p2w8-foobar", SUFFIX_POLICY, "https://foobar.com"),
    ("ghsa-vhxv-fg4m-p2w8-subdomain-of-exact", SUFFIX_POLICY, "https://bar.foo.com"),
    ("ghsa-vhxv-fg4m-p2w8-joined", SUFFIX_POLICY, "https://foo.comhttps://bar.com"),
    # notes: null (sandboxed iframes, data: pages)
    ("null-origin", POLICY, "null"),
    ("null-origin-upper", POLICY, "NULL"),
    ("null-origin-suffix-policy", SUFFIX_POLICY, "null"),
    ("ip-literal", POLICY, "https://127.0.0.1"),
    ("ipv6-literal", POLICY, "https://[::1]"),
]

ALLOWED_ORIGINS: list[tuple[str, CORSPolicy, str]] = [
    ("control-exact", POLICY, ALLOWED),
    ("control-wildcard-one-level", POLICY, "https://a.example.com"),
    ("control-wildcard-deep-notes", POLICY, "https://a.b.c.example.com"),
    ("control-wildcard-hyphen", POLICY, "https://a-b.example.com"),
    ("control-wildcard-digits", POLICY, "https://123.example.com"),
    ("control-wildcard-punycode", POLICY, "https://xn--80ak6aa92e.example.com"),
    ("control-label-63", POLICY, "https://" + "a" * 63 + ".example.com"),
    ("control-ghsa-vhxv-foo", SUFFIX_POLICY, "https://foo.com"),
    ("control-ghsa-vhxv-bar", SUFFIX_POLICY, "https://bar.com"),
    ("control-regex-fullmatch", REGEX_POLICY, "https://app.example.com"),
]


def _ids(rows: list[tuple[str, CORSPolicy, str]]) -> list[str]:
    return [r[0] for r in rows]


def _printable_ascii(value: str) -> bool:
    return all(0x20 < ord(c) < 0x7F for c in value) and len(value) < 4096


# --------------------------------------------------------------------------------------------------------
# decide(): refused origins


@pytest.mark.parametrize(("case", "policy", "origin"), REFUSED_ORIGINS, ids=_ids(REFUSED_ORIGINS))
def test_decide_preflight_refuses(case: str, policy: CORSPolicy, origin: str) -> None:
    d = preflight(policy, origin)
    assert d.kind == "preflight"
    assert d.allowed is False
    assert d.status == 403
    assert allow_headers_of(d.headers) == []
    assert d.refusals, "a refusal must say why"
    assert_wire_safe(d.headers)


@pytest.mark.parametrize(("case", "policy", "origin"), REFUSED_ORIGINS, ids=_ids(REFUSED_ORIGINS))
def test_decide_actual_refuses(case: str, policy: CORSPolicy, origin: str) -> None:
    d = actual(policy, origin)
    assert d.kind == "actual"
    assert d.allowed is False
    assert d.status is None
    assert allow_headers_of(d.headers) == []
    assert header(d.headers, "Access-Control-Expose-Headers") == []
    # notes "Caches": the answer depends on Origin, so caches must key on it even for a refusal
    assert "origin" in [v.lower() for v in d.vary]
    assert_wire_safe(d.headers)


@pytest.mark.parametrize(("case", "policy", "origin"), ALLOWED_ORIGINS, ids=_ids(ALLOWED_ORIGINS))
def test_decide_allows_and_reflects_byte_for_byte(case: str, policy: CORSPolicy, origin: str) -> None:
    for d in (preflight(policy, origin), actual(policy, origin)):
        assert d.allowed is True, d.refusals
        assert header(d.headers, "Access-Control-Allow-Origin") == [origin]
        assert d.refusals == ()
        assert "origin" in [v.lower() for v in d.vary]


# --------------------------------------------------------------------------------------------------------
# the middleware: same table, over webtest where it can carry the value and a raw environ always


def _middleware(policy: CORSPolicy) -> CORSMiddleware:
    return CORSMiddleware(hostile_app, policy)


def _check_refused_response(status: str, headers: list[tuple[str, str]], preflight_request: bool) -> None:
    assert not status.startswith("5"), status
    assert allow_headers_of(headers) == [], headers
    assert header(headers, "Access-Control-Expose-Headers") == []
    assert_wire_safe(headers)
    if preflight_request:
        assert status.startswith("403"), status
    else:
        # the app still answers; its own CORS headers are stripped; its Vary is merged, not replaced
        assert status.startswith("200"), status
        assert "accept-encoding" in vary_tokens(headers)
        assert "origin" in vary_tokens(headers)


@pytest.mark.parametrize(("case", "policy", "origin"), REFUSED_ORIGINS, ids=_ids(REFUSED_ORIGINS))
def test_middleware_raw_environ_refuses(case: str, policy: CORSPolicy, origin: str) -> None:
    app = _middleware(policy)
    status, headers, _ = call_raw(
        app, "OPTIONS", "/x", {"HTTP_ORIGIN": origin, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}
    )
    _check_refused_response(status, headers, preflight_request=True)
    status, headers, body = call_raw(app, "GET", "/x", {"HTTP_ORIGIN": origin})
    _check_refused_response(status, headers, preflight_request=False)
    assert body == b"app body"


WEBTEST_REFUSED = [r for r in REFUSED_ORIGINS if _printable_ascii(r[2])]


@pytest.mark.parametrize(("case", "policy", "origin"), WEBTEST_REFUSED, ids=_ids(WEBTEST_REFUSED))
def test_middleware_webtest_refuses(case: str, policy: CORSPolicy, origin: str) -> None:
    client = webtest.TestApp(_middleware(policy))
    res = client.options(
        "/x", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}, expect_errors=True
    )
    _check_refused_response(res.status, res.headerlist, preflight_request=True)
    res = client.get("/x", headers={"Origin": origin})
    _check_refused_response(res.status, res.headerlist, preflight_request=False)


@pytest.mark.parametrize(("case", "policy", "origin"), ALLOWED_ORIGINS, ids=_ids(ALLOWED_ORIGINS))
def test_middleware_allows_and_strips_app_cors_headers(case: str, policy: CORSPolicy, origin: str) -> None:
    client = webtest.TestApp(_middleware(policy))
    res = client.options("/x", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"})
    assert res.status_int == 204
    assert header(res.headerlist, "Access-Control-Allow-Origin") == [origin]
    res = client.get("/x", headers={"Origin": origin})
    assert res.status_int == 200
    # exactly one ACAO, ours, byte for byte; the app's https://evil.net is gone
    assert header(res.headerlist, "Access-Control-Allow-Origin") == [origin]
    assert sorted(vary_tokens(res.headerlist)) == ["accept-encoding", "origin"]


def test_notes_caches_request_without_origin_still_varies_on_origin() -> None:
    """Notes "Caches": a shared cache must not serve a no-Origin answer to a CORS request, or vice versa."""
    for policy in (POLICY, SUFFIX_POLICY, REGEX_POLICY):
        status, headers, _ = call_raw(_middleware(policy), "GET", "/x", {})
        assert status.startswith("200")
        assert allow_headers_of(headers) == []
        assert sorted(vary_tokens(headers)) == ["accept-encoding", "origin"]
    # a constant "*" answer is sent on every response, CORS or not, with nothing to vary on
    status, headers, _ = call_raw(_middleware(CORSPolicy(allow_origins=["*"])), "GET", "/x", {})
    assert header(headers, "Access-Control-Allow-Origin") == ["*"]
    assert vary_tokens(headers) == ["accept-encoding"]


# --------------------------------------------------------------------------------------------------------
# duplicated Origin header lines: a server joins them with ", " (RFC 9110 5.3); webtest cannot send two


def test_duplicated_origin_lines_joined_by_server_are_refused() -> None:
    app = _middleware(POLICY)
    for joined in (f"{ALLOWED}, {ALLOWED}", f"{ALLOWED},https://evil.net", "https://evil.net," + ALLOWED):
        status, headers, _ = call_raw(app, "GET", "/x", {"HTTP_ORIGIN": joined})
        _check_refused_response(status, headers, preflight_request=False)


# --------------------------------------------------------------------------------------------------------
# null: never reflected, never sent as a "deny" value (notes: ACAO: null lets sandboxed pages in)


@pytest.mark.parametrize("origin", ["https://evil.net", "null", "", "https://app.example.com/"])
def test_acao_is_never_null(origin: str) -> None:
    for d in (preflight(POLICY, origin), actual(POLICY, origin)):
        assert "null" not in [v.strip().lower() for v in header(d.headers, "Access-Control-Allow-Origin")]


def test_wildcard_policy_never_reflects_null_or_invalid_origins() -> None:
    # notes: ACAO "*" is a constant; a "*" policy must not switch to reflecting what it was sent
    star = CORSPolicy(allow_origins=["*"])
    for origin in ("null", "https://evil.net\r\nX: y", "https://evil.net"):
        d = actual(star, origin)
        assert header(d.headers, "Access-Control-Allow-Origin") in ([], ["*"])


# --------------------------------------------------------------------------------------------------------
# ACRM: methods (Fetch "CORS-preflight fetch": method compared case-sensitively, only 6 are normalized)

ACRM_CASES: list[tuple[str, str, bool]] = [
    ("fetch-allowed-put", "PUT", True),
    ("fetch-allowed-patch", "PATCH", True),
    ("fetch-patch-lowercase-is-not-PATCH", "patch", False),
    ("fetch-not-listed-delete", "DELETE", False),
    ("acrm-two-methods-comma", "PUT,DELETE", False),
    ("acrm-two-methods-space", "PUT DELETE", False),
    ("acrm-crlf", "PUT\r\nX-Evil: 1", False),
    ("acrm-nul", "PUT\x00", False),
    ("acrm-non-token", "P(T", False),
    ("acrm-non-ascii", "P\xdcT", False),
    ("acrm-huge", "P" * 100_000, False),
]


@pytest.mark.parametrize(("case", "method", "ok"), ACRM_CASES, ids=[c[0] for c in ACRM_CASES])
def test_request_method_table(case: str, method: str, ok: bool) -> None:
    d = preflight(POLICY, ALLOWED, method=method)
    assert d.allowed is ok, d.refusals
    assert_wire_safe(d.headers)
    if not ok:
        assert d.status == 403
        assert allow_headers_of(d.headers) == []
    status, headers, _ = call_raw(
        _middleware(POLICY),
        "OPTIONS",
        "/x",
        {"HTTP_ORIGIN": ALLOWED, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": method},
    )
    assert status.startswith("204" if ok else "403"), status
    assert_wire_safe(headers)


# --------------------------------------------------------------------------------------------------------
# ACRH: header names, floods (GHSA-mh55-gqvf-xfwm: rs/cors spent 100+ MB on one comma-full ACRH)

ACRH_CASES: list[tuple[str, str, bool]] = [
    ("fetch-browser-form", "content-type,x-token", True),
    ("fetch-case-insensitive-names", "Content-Type,X-Token", True),
    ("notes-proxy-split-spaces", " content-type , x-token ", True),
    ("fetch-not-listed", "content-type,x-evil", False),
    ("fetch-authorization-not-listed", "authorization", False),
    ("acrh-crlf-injection", "content-type\r\nSet-Cookie: a=b", False),
    ("acrh-nul", "content-type\x00", False),
    ("acrh-non-token-name", "content type", False),
    ("acrh-non-ascii-name", "x-t\xf6ken", False),
    # str.lower() folds U+212A KELVIN SIGN to ASCII "k": a name must be a token before it is lower-cased
    ("acrh-unicode-case-fold-kelvin-sign", "x-to\u212aen", False),
    ("acrh-unicode-case-fold-dotted-i", "x-\u0130d", False),
    ("ghsa-mh55-gqvf-xfwm-unlisted-flood", "x-evil," * 20_000, False),
    ("ghsa-mh55-gqvf-xfwm-distinct-names-flood", ",".join(f"x-h{i}" for i in range(20_000)), False),
]


@pytest.mark.parametrize(("case", "acrh", "ok"), ACRH_CASES, ids=[c[0] for c in ACRH_CASES])
def test_request_headers_table(case: str, acrh: str, ok: bool) -> None:
    d = preflight(POLICY, ALLOWED, headers=acrh)
    assert d.allowed is ok, d.refusals
    assert_wire_safe(d.headers)
    if ok:
        allowed = {
            t.strip().lower() for v in header(d.headers, "Access-Control-Allow-Headers") for t in v.split(",")
        }
        assert {"content-type", "x-token"} <= allowed
    else:
        assert d.status == 403
        assert allow_headers_of(d.headers) == []


@pytest.mark.parametrize(
    "acrh",
    [
        "," * 100_000,
        " , " * 30_000,
        "content-type," * 10_000,
        "content-type" + "," * 100_000 + "x-token",
        "\t" * 100_000,
    ],
    ids=["commas-100k", "space-commas-90k", "allowed-name-repeated-10k", "commas-between-names", "tabs-100k"],
)
def test_ghsa_mh55_gqvf_xfwm_floods_stay_bounded(acrh: str) -> None:
    """GHSA-mh55-gqvf-xfwm: whatever the verdict, no error, no empty names echoed, answer not amplified."""
    d = preflight(POLICY, ALLOWED, headers=acrh)
    assert d.status in (204, 403)
    assert_wire_safe(d.headers)
    for value in header(d.headers, "Access-Control-Allow-Headers"):
        names = [t.strip() for t in value.split(",")]
        assert all(names), f"empty header name echoed: {value[:80]!r}"
        # never more than the distinct names the policy knows: the echo does not grow with the input
        assert len(value) <= 200
    status, headers, _ = call_raw(
        _middleware(POLICY),
        "OPTIONS",
        "/x",
        {
            "HTTP_ORIGIN": ALLOWED,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": acrh,
        },
    )
    assert status[:3] in ("204", "403")
    assert sum(len(k) + len(v) for k, v in headers) < 2000


def test_ghsa_mh55_gqvf_xfwm_huge_values_are_not_kept_in_memory() -> None:
    """Unique 100 KB ACRH values, sent once each, must not stay in memory (e.g. in a per-policy memo)."""
    policy = CORSPolicy(allow_origins=[ALLOWED], allow_methods=["PUT"], allow_headers=["content-type"])
    preflight(policy, ALLOWED, headers="content-type")  # warm up whatever is built lazily
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(300):
            d = preflight(policy, ALLOWED, headers=f"x-{i}," + "a" * 100_000)
            assert d.allowed is False
        del d
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert retained < 2_000_000, f"{retained} bytes retained after 300 refused 100 KB ACRH values"


def test_fetch_star_headers_never_covers_authorization() -> None:
    """Fetch "CORS-preflight fetch": Authorization is not covered by Access-Control-Allow-Headers: *."""
    star = CORSPolicy(allow_origins=[ALLOWED], allow_methods=["PUT"], allow_headers=["*"])
    assert preflight(star, ALLOWED, headers="x-anything").allowed is True
    d = preflight(star, ALLOWED, headers="authorization,x-anything")
    assert d.allowed is False
    assert allow_headers_of(d.headers) == []
    named = CORSPolicy(allow_origins=[ALLOWED], allow_methods=["PUT"], allow_headers=["*", "authorization"])
    assert preflight(named, ALLOWED, headers="authorization,x-anything").allowed is True


# --------------------------------------------------------------------------------------------------------
# huge origins: the length bound runs before any user code or regex (notes "huge values")


def test_huge_origin_never_reaches_user_predicate() -> None:
    seen: list[int] = []

    def predicate(origin: str, environ: dict[str, Any]) -> bool:
        seen.append(len(origin))
        return True

    policy = CORSPolicy(allow_origin_func=predicate, allow_methods=["GET"])
    app = CORSMiddleware(hostile_app, policy)
    huge = "https://" + "a" * 100_000 + ".example.com"
    status, headers, _ = call_raw(app, "GET", "/x", {"HTTP_ORIGIN": huge})
    assert status.startswith("200")
    assert allow_headers_of(headers) == []
    assert all(n < 1000 for n in seen), seen
    # control: a normal origin does reach the predicate and is allowed by it
    status, headers, _ = call_raw(app, "GET", "/x", {"HTTP_ORIGIN": "https://ok.example.org"})
    assert header(headers, "Access-Control-Allow-Origin") == ["https://ok.example.org"]
    assert seen[-1] == len("https://ok.example.org")


def test_invalid_origin_never_reaches_user_predicate() -> None:
    """Even a predicate that says yes to everything cannot get CR/LF reflected (notes CR/LF/NUL)."""
    seen: list[str] = []

    def yes(origin: str, environ: dict[str, Any]) -> bool:
        seen.append(origin)
        return True

    app = CORSMiddleware(hostile_app, CORSPolicy(allow_origin_func=yes, allow_methods=["GET"]))
    for origin in ("https://a.example\r\nSet-Cookie: x=1", "https://a.example\x00", "null", "https://a b"):
        _, headers, _ = call_raw(app, "GET", "/x", {"HTTP_ORIGIN": origin})
        assert allow_headers_of(headers) == [], origin
        assert_wire_safe(headers)
    assert seen == []


# --------------------------------------------------------------------------------------------------------
# Private Network Access (CVE-2024-6221: flask-cors sent Access-Control-Allow-Private-Network always)


def test_cve_2024_6221_private_network_off_by_default() -> None:
    assert CORSPolicy(allow_origins=[ALLOWED]).allow_private_network is False
    d = preflight(POLICY, ALLOWED, private_network="true")
    assert header(d.headers, "Access-Control-Allow-Private-Network") == []
    client = webtest.TestApp(_middleware(POLICY))
    res = client.options(
        "/x",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Private-Network": "true",
        },
        expect_errors=True,
    )
    assert "Access-Control-Allow-Private-Network" not in res.headers


def test_cve_2024_6221_private_network_only_when_enabled_asked_and_allowed() -> None:
    pna = CORSPolicy(allow_origins=[ALLOWED], allow_methods=["PUT"], allow_private_network=True)
    d = preflight(pna, ALLOWED, private_network="true")
    assert header(d.headers, "Access-Control-Allow-Private-Network") == ["true"]
    # not asked: not sent
    assert header(preflight(pna, ALLOWED).headers, "Access-Control-Allow-Private-Network") == []
    # refused origin: never sent (it is an Access-Control-Allow-* header)
    refused = preflight(pna, "https://evil.net", private_network="true")
    assert header(refused.headers, "Access-Control-Allow-Private-Network") == []
    # not on actual responses
    assert header(actual(pna, ALLOWED).headers, "Access-Control-Allow-Private-Network") == []


# --------------------------------------------------------------------------------------------------------
# per-path rules: the flask-cors 2024 CVEs

PUBLIC = CORSPolicy(allow_origins=["*"], allow_methods=["GET", "PUT"])
PRIVATE = CORSPolicy(allow_origins=[ALLOWED], allow_methods=["GET", "PUT"])


def plain_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


def _rules_app(rules: list[tuple[str, CORSPolicy]], app: Callable[..., Any] = hostile_app) -> CORSMiddleware:
    return CORSMiddleware(app, rules=rules)


def _acao_for(app: CORSMiddleware, path: str, origin: str = "https://evil.net") -> list[str]:
    _, headers, _ = call_raw(app, "GET", path, {"HTTP_ORIGIN": origin})
    return header(headers, "Access-Control-Allow-Origin")


def test_cve_2024_6866_paths_match_case_sensitively() -> None:
    app = _rules_app([("/public/*", PUBLIC), ("/*", PRIVATE)])
    assert _acao_for(app, "/public/x") == ["*"]  # control
    for path in ("/PUBLIC/x", "/Public/x", "/pUBLIC/x"):
        assert _acao_for(app, path) == [], path
        assert _acao_for(app, path, ALLOWED) == [ALLOWED], path


def test_cve_2024_6844_plus_is_not_a_space_and_path_is_not_unquoted_twice() -> None:
    app = _rules_app([("/a b/*", PUBLIC), ("/public/*", PUBLIC), ("/*", PRIVATE)])
    assert _acao_for(app, "/a b/x") == ["*"]  # control: PATH_INFO is already decoded once by the server
    for path in ("/a+b/x", "/a%20b/x", "/a%2520b/x", "/%70ublic/x", "/public%2fx", "/publi%63/x"):
        assert _acao_for(app, path) == [], path


def test_cve_2024_6844_webtest_path_decoded_once() -> None:
    client = webtest.TestApp(_rules_app([("/a b/*", PUBLIC), ("/*", PRIVATE)]))
    # the client sends /a%20b/x; the server decodes it once to "/a b/x": that one matches
    res = client.get("/a%20b/x", headers={"Origin": "https://evil.net"})
    assert res.headers.get("Access-Control-Allow-Origin") == "*"
    # /a%2520b/x decodes once to "/a%20b/x", which is not "/a b/x"
    res = client.get("/a%2520b/x", headers={"Origin": "https://evil.net"})
    assert "Access-Control-Allow-Origin" not in res.headers
    res = client.get("/a+b/x", headers={"Origin": "https://evil.net"})
    assert "Access-Control-Allow-Origin" not in res.headers


def test_cve_2024_6839_rules_apply_in_declared_order() -> None:
    # the specific rule first: it wins for its paths
    app = _rules_app([("/api/private/*", PRIVATE), ("/api/*", PUBLIC)])
    assert _acao_for(app, "/api/private/x") == []
    assert _acao_for(app, "/api/other") == ["*"]
    # a broad rule first wins everywhere, even over a longer pattern (flask-cors sorted by length)
    app = _rules_app([("/*", PRIVATE), ("/api/long/specific/path/*", PUBLIC)])
    assert _acao_for(app, "/api/long/specific/path/x") == []
    assert _acao_for(app, "/api/long/specific/path/x", ALLOWED) == [ALLOWED]


def test_path_without_rule_gets_no_cors_headers() -> None:
    """rules.py: a path no rule covers is not touched (the app's own headers pass as they are)."""
    app = _rules_app([("/api/*", PUBLIC)], plain_app)
    assert _acao_for(app, "/other/x") == []
    assert _acao_for(app, "/api/x") == ["*"]
    status, headers, _ = call_raw(
        app, "OPTIONS", "/other/x", {"HTTP_ORIGIN": ALLOWED, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}
    )
    assert allow_headers_of(headers) == []
    assert not status.startswith("5")


@pytest.mark.parametrize(
    "path",
    ["/api/../public/x", "/public/../api/x", "//public/x", "/public\x00/x", "/public/\r\nx", "/\xff/x"],
    ids=[
        "dotdot-into-public",
        "dotdot-out-of-public",
        "double-slash",
        "nul-in-path",
        "crlf-in-path",
        "latin1",
    ],
)
def test_hostile_paths_never_500(path: str) -> None:
    app = _rules_app([("/public/*", PUBLIC), ("/api/*", PRIVATE)], plain_app)
    status, headers, _ = call_raw(app, "GET", path, {"HTTP_ORIGIN": "https://evil.net"})
    assert status.startswith("200")
    assert_wire_safe(headers)
    assert header(headers, "Access-Control-Allow-Origin") in ([], ["*"])
    if "/api/" in path and not path.startswith("/public/"):
        # a dot-dot path is not normalized into another rule by the middleware: PATH_INFO is taken as is
        assert header(headers, "Access-Control-Allow-Origin") == []


@pytest.mark.parametrize("origin", ["", " ", "\t"], ids=["empty", "space", "tab"])
def test_empty_origin_header_is_never_answered_with_cors_headers(origin: str) -> None:
    """An Origin line with no value is not a serialized origin: whatever the kind, nothing is allowed."""
    for d in (preflight(POLICY, origin), actual(POLICY, origin)):
        assert d.allowed is False or d.headers == ()
        assert allow_headers_of(d.headers) == []
    app = _middleware(POLICY)
    for method, extra in (("GET", {}), ("OPTIONS", {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"})):
        status, headers, _ = call_raw(app, method, "/x", {"HTTP_ORIGIN": origin, **extra})
        assert not status.startswith("5")
        assert allow_headers_of(headers) == []
