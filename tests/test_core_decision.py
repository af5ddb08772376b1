"""The sans-I/O decision, as tables: request values -> the Access-Control-* headers the response gets.

The tables run twice (the ``decider`` fixture): through ``decide()``, and through ``CORSMiddleware`` with
the answer read off the response it writes and the refusal code off the event ``on_decision`` gets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from raw_wsgi import call_raw

from cors_wsgi import CORSMiddleware, CORSPolicy, Decision, DecisionEvent, Refusal
from cors_wsgi.decision import (
    MAX_REQUEST_HEADERS_LENGTH,
    decide,
    decide_compiled,
    parse_request_headers,
    preflight,
)
from cors_wsgi.explain import reasons
from cors_wsgi.origins import parse_serialized_origin

LOCAL = "http://localhost:3000"
Decider = Callable[..., Decision]


def _through_the_middleware(
    policy: CORSPolicy,
    method: str,
    origin: str | None,
    acrm: str | None = None,
    acrh: str | None = None,
    acrpn: str | None = None,
) -> Decision:
    """The Decision as the middleware's response shows it."""
    events: list[DecisionEvent] = []
    app = CORSMiddleware(_app, policy, on_decision=events.append)
    extra = {
        name: value
        for name, value in (
            ("HTTP_ORIGIN", origin),
            ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", acrm),
            ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", acrh),
            ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", acrpn),
        )
        if value is not None
    }
    status, headers, body = call_raw(app, method, "/api/data", extra)
    preflight = method == "OPTIONS" and origin is not None and acrm is not None
    vary = next((value for name, value in headers if name == "Vary"), "")
    granted = tuple((name, value) for name, value in headers if name.startswith("Access-Control-"))
    if events:
        [event] = events
        allowed, refusals = event.allowed, () if event.reason is None else (Refusal(event.reason),)
    else:  # no Origin: not a CORS request, no event
        allowed, refusals = bool(granted), ()
    return Decision(
        "preflight" if preflight else "actual",
        allowed,
        int(status[:3]) if preflight else None,
        granted,
        tuple(vary.split(", ")) if vary else (),
        body if preflight else b"",
        refusals,
    )


def _app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


@pytest.fixture(params=["decide", "middleware"])
def decider(request: pytest.FixtureRequest) -> Decider:
    return decide if request.param == "decide" else _through_the_middleware


PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")

SEED = CORSPolicy(allow_origins=[LOCAL], allow_headers=["content-type"], allow_credentials=True)
API = CORSPolicy(
    allow_origins=[LOCAL, "https://*.example.com"],
    allow_methods=["GET", "PUT", "patch"],
    allow_headers=["content-type", "x-token"],
    expose_headers=["X-Request-Id", "X-Trace"],
    allow_credentials=True,
    max_age=7200,
)
ANY = CORSPolicy(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"], max_age=None)
ANY_CREDENTIALED_HEADERS = CORSPolicy(
    allow_origins=[LOCAL], allow_methods=["*"], allow_headers=["*"], allow_credentials=True
)
PNA = CORSPolicy(allow_origins=[LOCAL], allow_private_network=True)


# (policy, method, origin, expected headers) for actual requests
ACTUAL = [
    ("seed example 1: allowed GET", SEED, "GET", LOCAL,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Credentials": "true"}),
    ("seed example 3: refused origin", SEED, "GET", "http://another-domain.com:8080", {}),
    ("no Origin: not CORS", SEED, "GET", None, {}),
    ("expose headers on actual responses", API, "POST", LOCAL,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Credentials": "true",
      "Access-Control-Expose-Headers": "X-Request-Id, X-Trace"}),
    ("wildcard subdomain", API, "GET", "https://a.b.example.com",
     {"Access-Control-Allow-Origin": "https://a.b.example.com", "Access-Control-Allow-Credentials": "true",
      "Access-Control-Expose-Headers": "X-Request-Id, X-Trace"}),
    ("wildcard never the apex", API, "GET", "https://example.com", {}),
    ("wildcard scheme must match", API, "GET", "http://a.example.com", {}),
    ("wildcard port must match", API, "GET", "https://a.example.com:8443", {}),
    ("'*' policy: constant *", ANY, "GET", "https://anything.test", {"Access-Control-Allow-Origin": "*"}),
    ("'*' policy: * even without Origin", ANY, "GET", None, {"Access-Control-Allow-Origin": "*"}),
    ("OPTIONS without ACRM is an actual request", API, "OPTIONS", LOCAL,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Credentials": "true",
      "Access-Control-Expose-Headers": "X-Request-Id, X-Trace"}),
    ("case matters: browsers send lower case", SEED, "GET", "http://LOCALHOST:3000", {}),
    ("trailing slash is not the origin", SEED, "GET", LOCAL + "/", {}),
    ("null not allowed unless listed", SEED, "GET", "null", {}),
    ("null listed literally", CORSPolicy(allow_origins=["null"]), "GET", "null", {"Access-Control-Allow-Origin": "null"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "method", "origin", "expected"), [c[1:] for c in ACTUAL], ids=[c[0] for c in ACTUAL]
)
def test_actual_request_headers(
    decider: Decider, policy: CORSPolicy, method: str, origin: str | None, expected: dict[str, str]
) -> None:
    decision = decider(policy, method, origin)
    assert decision.kind == "actual"
    assert decision.status is None
    assert dict(decision.headers) == expected
    assert len(decision.headers) == len(expected)  # never two of one header
    assert decision.allowed is bool(expected)
    assert decision.vary == (() if policy is ANY else ("Origin",))
    if origin is not None and not expected:
        assert [r.code for r in decision.refusals] == ["origin-not-allowed"]
    if decider is decide and origin is not None and not expected:
        assert reasons(decision, (), origin)[0] == f"origin {origin!r} is not allowed"


# (policy, origin, ACRM, ACRH, ACRPN, expected headers or None for a refusal, reason fragment)
PREFLIGHT: list[tuple[Any, ...]] = [
    ("seed example 2", SEED, LOCAL, "GET", "content-type", None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET",
      "Access-Control-Allow-Headers": "content-type", "Access-Control-Allow-Credentials": "true",
      "Access-Control-Max-Age": "600"}, ""),
    ("no ACRH: no Allow-Headers", SEED, LOCAL, "GET", None, None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET",
      "Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "600"}, ""),
    ("requested names echoed, normalized", API, LOCAL, "PUT", " X-Token ,Content-Type", None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET, PUT, patch",
      "Access-Control-Allow-Headers": "x-token, content-type", "Access-Control-Allow-Credentials": "true",
      "Access-Control-Max-Age": "7200"}, ""),
    ("proxies split and re-case ACRH", API, LOCAL, "PUT", "CONTENT-TYPE,, x-token\t", None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET, PUT, patch",
      "Access-Control-Allow-Headers": "content-type, x-token", "Access-Control-Allow-Credentials": "true",
      "Access-Control-Max-Age": "7200"}, ""),
    ("refused origin", SEED, "http://evil.test", "GET", None, None, None, "origin 'http://evil.test' is not allowed"),
    ("refused method", SEED, LOCAL, "DELETE", None, None, None, "method 'DELETE' is not allowed"),
    ("methods are case-sensitive: patch", API, LOCAL, "patch", None, None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET, PUT, patch",
      "Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "7200"}, ""),
    ("methods are case-sensitive: PATCH", API, LOCAL, "PATCH", None, None, None, "method 'PATCH' is not allowed"),
    ("refused header", SEED, LOCAL, "GET", "content-type,x-evil", None, None, "not allowed: x-evil"),
    # Without credentials "*" is answered literally, so the browser's preflight cache covers later requests.
    ("* methods and headers without credentials: a literal *", ANY, "https://x.test", "DELETE", "x-a,x-b", None,
     {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*",
      "Access-Control-Allow-Headers": "*"}, ""),
    ("* headers never cover authorization", ANY, "https://x.test", "GET", "authorization", None, None,
     "not allowed: authorization"),
    ("* with credentials: names echoed, never a literal *", ANY_CREDENTIALED_HEADERS, LOCAL, "PURGE", "x-a", None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "PURGE",
      "Access-Control-Allow-Headers": "x-a", "Access-Control-Allow-Credentials": "true",
      "Access-Control-Max-Age": "600"}, ""),
    ("authorization allowed when named", CORSPolicy(allow_origins=[LOCAL], allow_headers=["*", "Authorization"]),
     LOCAL, "GET", "authorization", None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET",
      "Access-Control-Allow-Headers": "*, authorization", "Access-Control-Max-Age": "600"}, ""),
    ("* methods: invalid method name refused", ANY, "https://x.test", "GET\r\nX: y", None, None, None,
     "not a valid method name"),
    ("private network asked and enabled", PNA, LOCAL, "GET", None, "true",
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET",
      "Access-Control-Max-Age": "600", "Access-Control-Allow-Private-Network": "true"}, ""),
    ("private network off by default (CVE-2024-6221)", SEED, LOCAL, "GET", None, "true", None, "private network"),
    ("private network enabled but not asked: not sent", PNA, LOCAL, "GET", None, None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET",
      "Access-Control-Max-Age": "600"}, ""),
    ("max_age None: no Max-Age", CORSPolicy(allow_origins=[LOCAL], max_age=None), LOCAL, "GET", None, None,
     {"Access-Control-Allow-Origin": LOCAL, "Access-Control-Allow-Methods": "GET"}, ""),
    ("ACRH flood of commas (GHSA-mh55-gqvf-xfwm)", SEED, LOCAL, "GET", "," * 65536, None, None, "malformed or longer"),
    ("ACRH of spaces", SEED, LOCAL, "GET", " " * 20000, None, None, "malformed or longer"),
    ("ACRH with a non-token name", SEED, LOCAL, "GET", "content-type, x y", None, None, "malformed"),
    ("ACRH with too many names", ANY, "https://x.test", "GET", ",".join(f"x-{i}" for i in range(101)), None, None,
     "100 names"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "origin", "acrm", "acrh", "acrpn", "expected", "reason"),
    [c[1:] for c in PREFLIGHT],
    ids=[c[0] for c in PREFLIGHT],
)
def test_preflight(
    decider: Decider,
    policy: CORSPolicy,
    origin: str,
    acrm: str,
    acrh: str | None,
    acrpn: str | None,
    expected: dict[str, str] | None,
    reason: str,
) -> None:
    decision = decider(policy, "OPTIONS", origin, acrm, acrh, acrpn)
    assert decision.kind == "preflight"
    private_network_vary = ("Access-Control-Request-Private-Network",) if policy.allow_private_network else ()
    assert decision.vary == PREFLIGHT_VARY + private_network_vary
    if expected is None:
        assert decision.status == 403
        assert not decision.allowed
        assert decision.headers == ()
        assert decision.body == b"CORS preflight refused\n"
        assert (
            decision.refusals[0].code == decide(policy, "OPTIONS", origin, acrm, acrh, acrpn).refusals[0].code
        )
        if decider is decide:
            # An origin refusal carries no value: the English is told the request's Origin.
            assert any(reason in r for r in reasons(decision, (), origin)), reasons(decision, (), origin)
    else:
        assert decision.status == 204
        assert decision.allowed
        assert decision.refusals == ()
        assert dict(decision.headers) == expected
        assert len(decision.headers) == len(expected)


def test_every_reason_is_reported_at_once() -> None:
    decision = decide(SEED, "OPTIONS", "https://localhost:3000", "PUT", "x-a", "true", debug=True)
    assert len(decision.refusals) == 4
    explained = reasons(decision, SEED.allow_origins, "https://localhost:3000")
    assert "closest allowed origin is 'http://localhost:3000' (the scheme differs)" in explained[0]


def test_without_the_policys_origins_the_english_gives_no_hint() -> None:
    decision = decide(SEED, "OPTIONS", "https://localhost:3000", "GET")
    assert "closest" not in reasons(decision, (), "https://localhost:3000")[0]


REGEX = CORSPolicy(allow_origin_regex=r"https://[a-z]+\.example\.org")


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.org", True),
        ("https://app.example.org.evil.net", False),  # fullmatch, not search
        ("https://appxexample.org", False),
        ("https://app.example.org\r\n", False),
        ("https://app.example.org/", False),
        ("HTTPS://app.example.org", False),
    ],
)
def test_regex_is_full_match_on_valid_origins_only(origin: str, allowed: bool) -> None:
    assert decide(REGEX, "GET", origin).allowed is allowed


def test_origin_func_sees_only_valid_origins_and_environ() -> None:
    seen: list[tuple[str, Any]] = []

    def func(origin: str, environ: Any) -> bool:
        seen.append((origin, environ.get("tenant")))
        return True

    policy = CORSPolicy(allow_origin_func=func)
    assert decide(policy, "GET", "https://a.test", environ={"tenant": "t1"}).allowed
    for bad in [
        "https://a.test\r\nSet-Cookie: x",
        "https://a.test, https://b.test",
        "https://a.test/x",
        "null",
        "é",
    ]:
        assert not decide(policy, "GET", bad).allowed
    assert seen == [("https://a.test", "t1")]


def test_origin_func_that_raises_refuses_instead_of_failing(caplog: pytest.LogCaptureFixture) -> None:
    def func(origin: str, environ: Any) -> bool:
        raise RuntimeError("database down")

    policy = CORSPolicy(allow_origin_func=func)
    assert not decide(policy, "GET", "https://a.test").allowed
    assert not decide(policy, "OPTIONS", "https://a.test", "GET").allowed
    assert "allow_origin_func raised" in caplog.text
    [record, _] = caplog.records
    assert record.getMessage() == "allow_origin_func raised for origin 'https://a.test'; refusing it"
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("https://a.example.com", ("https", "a.example.com", "")),
        ("http://localhost:3000", ("http", "localhost", "3000")),
        ("http://127.0.0.1:5000", ("http", "127.0.0.1", "5000")),
        ("http://[::1]:8080", ("http", "[::1]", "8080")),
        ("chrome-extension://abcdef", ("chrome-extension", "abcdef", "")),
        ("https://a.example.com:443", None),  # a browser omits the default port
        ("http://localhost:03000", None),
        ("http://localhost:", None),
        ("http://localhost:65536", None),
        ("http://[::0:1]", None),  # not the compressed form a browser sends
        ("http://[::1", None),
        ("https://A.example.com", None),
        ("https://a..example.com", None),
        ("https://.example.com", None),
        ("https://a_b.example.com", None),
        ("https://-a.example.com", None),  # LDH labels never start or end with a hyphen
        ("https://a-.example.com", None),
        ("https://a-b.example.com", ("https", "a-b.example.com", "")),
        ("https://a`b.example.com", None),
        ("https://a%60b.example.com", None),
        ("https://a.example.com/", None),
        ("https://a.example.com?x", None),
        ("https://a.example.com#x", None),
        ("https://user@a.example.com", None),
        ("https://a.example.com, https://b.example.com", None),
        ("https://a.example.com\r\n", None),
        ("https://a.example.com\x00", None),
        ("https://bücher.example", None),
        ("https://" + "a" * 64 + ".example.com", None),
        ("https://" + "a." * 200 + "com", None),
        ("://a.example.com", None),
        ("1http://a.example.com", None),
        ("null", None),
        ("", None),
    ],
)
def test_parse_serialized_origin(value: str, parsed: tuple[str, str, str] | None) -> None:
    assert parse_serialized_origin(value) == parsed


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("content-type", ("content-type",)),
        ("content-type,x-token", ("content-type", "x-token")),
        ("X-Token, Content-Type, x-token", ("x-token", "content-type")),
        ("", ()),
        (",", ()),
        ("a b", None),
        ("x-a\r\nx-b", None),
        ("é", None),
        ("x-\u212a", None),  # KELVIN SIGN lower-cases to ASCII "k": checked before lower-casing
        ("," * (MAX_REQUEST_HEADERS_LENGTH + 1), None),
    ],
)
def test_parse_request_headers(value: str, names: tuple[str, ...] | None) -> None:
    assert parse_request_headers(value) == names


def test_many_exact_origins_are_a_set_lookup() -> None:
    origins = [f"https://app{i}.example.com" for i in range(10_000)]
    policy = CORSPolicy(allow_origins=origins)
    assert len(policy.compiled.matcher.exact) == 10_000
    assert decide(policy, "GET", origins[-1]).allowed
    assert not decide(policy, "GET", "https://app10000.example.com").allowed


def test_members_sharing_a_suffix_do_not_allow_their_concatenation() -> None:
    # GHSA-vhxv-fg4m-p2w8 (jub0bs/cors): allowing foo.com and bar.com must not allow barfoo.com.
    policy = CORSPolicy(allow_origins=["https://*.foo.com", "https://bar.com"])
    assert not decide(policy, "GET", "https://barfoo.com").allowed
    assert not decide(policy, "GET", "https://bar.foo.com.evil.net").allowed
    assert decide(policy, "GET", "https://bar.foo.com").allowed


def test_user_function_is_asked_every_time() -> None:
    # Its answer may depend on the environ (a tenant, a time), so it is never memoised.
    calls: list[str] = []
    policy = CORSPolicy(
        allow_origin_func=lambda origin, environ: calls.append(origin) or environ.get("ok", False)
    )
    assert decide(policy, "GET", "https://a.test", environ={"ok": True}).allowed
    assert not decide(policy, "GET", "https://a.test", environ={"ok": False}).allowed
    assert calls == ["https://a.test", "https://a.test"]


def test_outside_debug_mode_the_first_refused_header_ends_the_decision() -> None:
    names = ",".join(f"x-{i}" for i in range(99))  # with content-type: the most a browser may ask for
    quick = decide(SEED, "OPTIONS", LOCAL, "GET", "content-type," + names)
    assert quick.refusals == (Refusal("headers-not-allowed", "content-type," + names, ("x-0",)),)
    every = decide(SEED, "OPTIONS", LOCAL, "GET", "content-type," + names, debug=True)
    assert every.refusals[0].detail == tuple(f"x-{i}" for i in range(99))
    star = CORSPolicy(allow_origins=[LOCAL], allow_headers=["*"])
    for debug in (False, True):
        refused = decide(star, "OPTIONS", LOCAL, "GET", "x-a,authorization,x-b", debug=debug)
        assert refused.refusals[0].detail == ("authorization",)


@settings(max_examples=500, deadline=None)
@given(
    names=st.lists(
        st.sampled_from(
            ["content-type", "x-token", "authorization", "x-a", " X-Token", "", "x y", "Content-Type"]
        ),
        max_size=8,
    ),
    star=st.booleans(),
)
def test_stopping_at_the_first_refused_header_never_changes_the_verdict(names: list[str], star: bool) -> None:
    policy = CORSPolicy(allow_origins=[LOCAL], allow_headers=["*"] if star else ["content-type", "x-token"])
    value = ",".join(names)
    quick = decide(policy, "OPTIONS", LOCAL, "GET", value)
    every = decide(policy, "OPTIONS", LOCAL, "GET", value, debug=True)
    assert quick.allowed == every.allowed
    # Stopping early, a malformed name after a refused one goes unseen: the refusal names the refused one.
    header_codes = {"headers-not-allowed", "headers-invalid"}
    assert len(quick.refusals) == len(every.refusals)
    for fast, full in zip(quick.refusals, every.refusals, strict=True):
        assert fast.code == full.code or {fast.code, full.code} <= header_codes
        if fast.code == full.code == "headers-not-allowed":
            assert fast.detail == full.detail[:1]


def test_every_refused_origin_of_a_policy_gets_one_and_the_same_answer() -> None:
    # An origin refusal names no value (the request's Origin is the value at fault), so the answer is built
    # once per policy; the English is given the Origin.
    first, second = decide(SEED, "GET", "https://a.evil.test"), decide(SEED, "GET", "https://b.evil.test")
    assert first is second
    assert first.refusals == (Refusal("origin-not-allowed", None, ()),)
    assert first.added_headers == (("Vary", "Origin"),)
    assert reasons(first, (), "https://a.evil.test") == ["origin 'https://a.evil.test' is not allowed"]
    preflight = decide(SEED, "OPTIONS", "https://a.evil.test", "GET")
    assert preflight.refusals == (Refusal("origin-not-allowed", None, ()),)


def test_a_decision_is_consistent_however_it_is_made() -> None:
    # added_headers is derived: the constructor, _make and _replace all compute it from the other fields.
    decision = decide(SEED, "GET", "http://localhost:3000")
    assert decision.added_headers[0] == ("Access-Control-Allow-Origin", "http://localhost:3000")
    stripped = decision._replace(headers=())
    assert stripped.added_headers == (("Vary", "Origin"),)
    assert stripped.response_headers([("Content-Type", "text/plain")]) == [
        ("Content-Type", "text/plain"),
        ("Vary", "Origin"),
    ]
    assert Decision(*decision[:7]) == decision
    assert Decision._make(decision) == decision
    refused = Decision("preflight", False, 403, (), ("Origin",), b"no\n")
    assert refused.added_headers[-2:] == (
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", "3"),
    )
    with pytest.raises(TypeError, match="derived"):
        decision._replace(added_headers=())


def test_a_preflight_decision_is_its_own_whole_response() -> None:
    # A preflight never reaches the application: whatever headers are offered, its answer is its own.
    decision = decide(SEED, "OPTIONS", LOCAL, "GET")
    assert decision.response_headers([("Content-Type", "text/html"), ("X-App", "1")]) == list(
        decision.added_headers
    )
    with pytest.raises(
        TypeError, match=r"^added_headers is derived from the other fields; replace those instead$"
    ):
        decision._replace(added_headers=())


@pytest.mark.parametrize(
    ("acrh", "names"),
    [
        ("content-type,content-type", "content-type"),  # what a browser sends: lower case, no spaces
        ("x-token,content-type,x-token", "x-token, content-type"),
        ("X-Token,x-token", "x-token"),  # a proxy re-cased it
    ],
)
def test_a_repeated_allowed_name_is_granted_once(acrh: str, names: str) -> None:
    decision = decide(API, "OPTIONS", LOCAL, "PUT", acrh)
    assert decision.allowed
    assert dict(decision.headers)["Access-Control-Allow-Headers"] == names


@pytest.mark.parametrize("debug", [False, True])
def test_a_malformed_name_is_refused_as_such_even_when_a_refused_one_precedes_it_in_debug(
    debug: bool,
) -> None:
    # Outside debug mode the decision stops at the first refused name: what follows is never read.
    for acrh in ("x-nope,bad name", "content-type,,x-nope,bad name", "x-nope, bad@name"):
        decision = decide(SEED, "OPTIONS", LOCAL, "GET", acrh, debug=debug)
        assert not decision.allowed
        if debug:
            assert [r.code for r in decision.refusals] == ["headers-invalid"]
        else:
            assert decision.refusals == (Refusal("headers-not-allowed", acrh, ("x-nope",)),)


@pytest.mark.parametrize("allow_headers", [["content-type"], ["content-type", "x-b"], ["*"]])
@pytest.mark.parametrize("space", ["\x0b", "\x0c", "\r", "\n", "\x1c"])
def test_only_space_and_tab_are_trimmed_around_a_requested_name(allow_headers: list[str], space: str) -> None:
    # Optional white space in a field value is SP and HTAB; any other white space makes the name malformed.
    policy = CORSPolicy(allow_origins=[LOCAL], allow_headers=allow_headers)
    for acrh in (f"{space}x-b", f"content-type,{space}x-b", f"content-type, x-b{space}"):
        for debug in (False, True):
            decision = decide(policy, "OPTIONS", LOCAL, "GET", acrh, debug=debug)
            assert decision.refusals == (Refusal("headers-invalid", acrh),), (acrh, debug)
    assert parse_request_headers(f"x-a,{space}x-b") is None


def test_refusals_name_the_value_at_fault_and_what_the_policy_has() -> None:
    method = decide(API, "OPTIONS", LOCAL, "DELETE")
    assert method.refusals == (Refusal("method-not-allowed", "DELETE", ("GET", "PUT", "patch")),)
    private = decide(SEED, "OPTIONS", LOCAL, "GET", request_private_network="true")
    assert private.refusals == (Refusal("private-network-not-allowed", "true"),)
    header = decide(API, "OPTIONS", LOCAL, "PUT", "x-token,x-nope,x-other", debug=True)
    assert header.refusals == (
        Refusal("headers-not-allowed", "x-token,x-nope,x-other", ("x-nope", "x-other")),
    )


def test_debug_mode_is_off_unless_asked() -> None:
    # Without debug, a refused method gets the plain 403 (no partial grant naming the origin).
    for answer in (
        decide_compiled(API.compiled, "OPTIONS", LOCAL, "DELETE"),
        preflight(API.compiled, LOCAL, "DELETE"),
    ):
        assert answer.status == 403
        assert answer.headers == ()
        assert answer.body == b"CORS preflight refused\n"


def test_debug_mode_grants_the_origin_but_not_the_method_or_header_at_fault() -> None:
    # The browser then names the method or header in its console; nothing is cached (no Max-Age).
    method = decide(API, "OPTIONS", LOCAL, "DELETE", "x-token", debug=True)
    assert (method.status, method.allowed) == (204, False)
    assert method.headers == (
        ("Access-Control-Allow-Origin", LOCAL),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, PUT, patch"),
        ("Access-Control-Allow-Headers", "x-token"),
    )
    headers = decide(API, "OPTIONS", LOCAL, "PUT", "x-token,x-nope,content-type", debug=True)
    assert headers.headers == (
        ("Access-Control-Allow-Origin", LOCAL),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, PUT, patch"),
        ("Access-Control-Allow-Headers", "x-token, content-type"),
    )
    star = CORSPolicy(allow_origins=[LOCAL], allow_methods=["*"], allow_headers=["x-a"])
    refused = decide(star, "OPTIONS", LOCAL, "PURGE", "x-a,x-b", debug=True)
    assert refused.headers == (
        ("Access-Control-Allow-Origin", LOCAL),
        ("Access-Control-Allow-Methods", "PURGE"),
        ("Access-Control-Allow-Headers", "x-a"),
    )


def test_a_path_no_rule_may_grant_refuses_whatever_the_request() -> None:
    dot = Refusal("path-dot-segment")
    asked = decide_compiled(None, "OPTIONS", LOCAL, "GET", "content-type")
    assert (asked.kind, asked.allowed, asked.status, asked.refusals) == ("preflight", False, 403, (dot,))
    assert asked.headers == ()
    assert asked.added_headers == (
        ("Vary", ", ".join(PREFLIGHT_VARY)),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(b"CORS preflight refused\n"))),
    )
    for method in ("GET", "OPTIONS", "POST"):
        actual = decide_compiled(None, method, LOCAL)
        assert actual == ("actual", False, None, (), ("Origin",), b"", (dot,), (("Vary", "Origin"),))
        assert actual.allowed is False
        not_cors = decide_compiled(None, method, None)
        assert not_cors == ("actual", False, None, (), ("Origin",), b"", (), (("Vary", "Origin"),))


def test_a_preflight_hands_the_environ_to_the_origin_function() -> None:
    seen: list[dict[str, Any]] = []
    policy = CORSPolicy(
        allow_origin_func=lambda origin, environ: seen.append(environ) or environ.get("ok", False)
    )
    environ = {"ok": True}
    assert decide(policy, "OPTIONS", "https://a.test", "GET", environ=environ).status == 204
    assert decide(policy, "OPTIONS", "https://a.test", "GET", environ={}).status == 403
    assert seen[0] is environ


def test_the_actual_answers_a_policy_builds_once() -> None:
    # Built when the policy is compiled (here, inside the test), then shared by every request they fit.
    anyone = CORSPolicy(allow_origins=["*"], expose_headers=["X-Id"])
    grant = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "X-Id"))
    for origin in (None, "https://a.test"):
        assert decide(anyone, "GET", origin) == ("actual", True, None, grant, (), b"", (), grant)
    listed = CORSPolicy(allow_origins=[LOCAL])
    vary = (("Vary", "Origin"),)
    assert decide(listed, "GET", None) == ("actual", False, None, (), ("Origin",), b"", (), vary)
    refused = (Refusal("origin-not-allowed"),)
    assert decide(listed, "GET", "https://evil.test") == (
        "actual",
        False,
        None,
        (),
        ("Origin",),
        b"",
        refused,
        vary,
    )
    assert decide(listed, "GET", LOCAL) == (
        "actual", True, None, (("Access-Control-Allow-Origin", LOCAL),), ("Origin",), b"", (),
        (("Access-Control-Allow-Origin", LOCAL), *vary),
    )  # fmt: skip


def test_without_an_environ_the_origin_function_gets_an_empty_dict() -> None:
    seen: list[Any] = []
    policy = CORSPolicy(allow_origin_func=lambda origin, environ: seen.append(environ) or True)
    assert decide(policy, "GET", "https://a.test").allowed
    assert decide(policy, "OPTIONS", "https://a.test", "GET").allowed
    assert seen == [{}, {}]
    assert all(type(environ) is dict for environ in seen)
