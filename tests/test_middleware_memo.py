"""The middleware's memoised answers: the same response as a fresh decision, bounded, and never for answers
that depend on more than header values (a user origin function, debug mode)."""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from raw_wsgi import call_raw, raw_environ

from cors_wsgi import CORSMiddleware, CORSPolicy, remembered
from cors_wsgi.decision import decide
from cors_wsgi.headers import PLAIN_NAMES, needs_merge
from cors_wsgi.memo import ACTUAL_MEMO_SIZE, PREFLIGHT_MEMO_SIZE, Memo
from cors_wsgi.memo import MAX_KEY_LENGTH as MAX_MEMO_KEY_LENGTH

ALLOWED = "http://localhost:3000"
Headers = list[tuple[str, str]]


def policy(**changes: Any) -> CORSPolicy:
    fields: dict[str, Any] = {
        "allow_origins": [ALLOWED, "https://*.example.com"],
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["content-type"],
        "expose_headers": ["X-Request-Id"],
        "allow_credentials": True,
    }
    fields.update(changes)
    return CORSPolicy(**fields)


def app_with(headers: Iterable[tuple[str, str]]) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", headers if isinstance(headers, tuple) else list(headers))
        return [b"{}"]

    return app


def call(
    app: Callable[..., Iterable[bytes]], method: str = "GET", **headers: str
) -> tuple[str, Headers, bytes]:
    """``call_raw`` on /api/data, with request headers as keywords (``origin=...``)."""
    return call_raw(app, method, "/api/data", {"HTTP_" + k.upper(): v for k, v in headers.items()})


def _never(origin: str, environ: Any) -> bool:
    return False


REQUESTS = [
    {"origin": ALLOWED},
    {"origin": "https://a.b.example.com"},
    {"origin": "https://evil.example.net"},
    {},
    {"method": "OPTIONS", "origin": ALLOWED, "access_control_request_method": "GET"},
    {
        "method": "OPTIONS",
        "origin": ALLOWED,
        "access_control_request_method": "POST",
        "access_control_request_headers": "Content-Type",
    },
    {"method": "OPTIONS", "origin": ALLOWED, "access_control_request_method": "DELETE"},
    {"method": "OPTIONS", "origin": "https://evil.example.net", "access_control_request_method": "GET"},
    {
        "method": "OPTIONS",
        "origin": ALLOWED,
        "access_control_request_method": "GET",
        "access_control_request_private_network": "true",
    },
]


@pytest.mark.parametrize(
    "app_headers",
    [
        [("Content-Type", "application/json"), ("Content-Length", "2")],
        [
            ("Content-Type", "application/json"),
            ("Vary", "Accept-Encoding"),
            ("access-control-allow-origin", "*"),
        ],
        [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")],
        (("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")),
        [("", "empty name"), ("X-Other", "1")],
    ],
    ids=["plain", "app-sets-vary-and-acao", "app-sets-acao", "tuple-of-headers", "empty-name"],
)
@pytest.mark.parametrize(
    "request_kwargs", REQUESTS, ids=lambda r: "-".join(f"{k}={v}" for k, v in r.items()) or "none"
)
def test_a_repeated_request_gets_exactly_the_first_answer(
    app_headers: Iterable[tuple[str, str]], request_kwargs: dict[str, str]
) -> None:
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "GET")
    fresh_policy = policy()
    # A middleware that never reuses anything: an origin function (one that adds nothing) turns the memos
    # off, so every request goes through the full decision. (Debug mode would too, but it answers some
    # refused preflights differently on purpose: see decision._partial_grant.)
    reference = CORSMiddleware(app_with(app_headers), fresh_policy.replace(allow_origin_func=_never))
    memoised = CORSMiddleware(app_with(app_headers), fresh_policy)
    first = call(memoised, method, **kwargs)
    second = call(memoised, method, **kwargs)
    assert first == second
    if method != "OPTIONS":
        # The oracle for an actual request: the sans-I/O decision's complete answer.
        decision = decide(fresh_policy, method, kwargs.get("origin"))
        want = decision.response_headers(app_headers)
        assert first == ("200 OK", want, b"{}")
        return
    status, headers, body = call(reference, method, **kwargs)
    assert first[0] == status
    if status.startswith("403"):
        # Debug mode explains a refused preflight in its body, so only the length header may differ.
        assert [h for h in first[1] if h[0] != "Content-Length"] == [
            h for h in headers if h[0] != "Content-Length"
        ]
    else:
        assert (first[1], first[2]) == (headers, body)


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every decision the middleware asks the core for, as (method, origin, ...) : a request answered from
    a memo asks for none."""
    asked: list[tuple[Any, ...]] = []

    def counted(real: Callable[..., Any], method: str, values_kept: int) -> Callable[..., Any]:
        def counting(compiled: Any, *values: Any, **options: Any) -> Any:
            asked.append((method, *values[:values_kept]))  # the header values, never the environ
            return real(compiled, *values, **options)

        return counting

    # The core functions a route asks: for an actual request (origin, environ), for a preflight (origin,
    # ACRM, ACRH, ACRPN, environ).
    monkeypatch.setattr(remembered, "actual", counted(remembered.actual, "GET", 1))
    monkeypatch.setattr(remembered, "preflight", counted(remembered.preflight, "OPTIONS", 4))
    return asked


def test_a_repeated_request_is_decided_once(decisions: list[tuple[Any, ...]]) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    decisions.clear()
    for _ in range(3):
        call(mw, origin=ALLOWED)
        call(mw, origin="https://evil.example.net")
        call(mw, "OPTIONS", origin=ALLOWED, access_control_request_method="GET")
    assert len(decisions) == 3


def test_memos_stay_bounded_under_a_stream_of_unique_origins(decisions: list[tuple[Any, ...]]) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    decisions.clear()
    call(mw, origin=ALLOWED)
    call(mw, "OPTIONS", origin=ALLOWED, access_control_request_method="GET")
    call(mw, origin=ALLOWED)
    assert len(decisions) == 2  # remembered
    tracemalloc.start()
    try:
        for i in range(16 * ACTUAL_MEMO_SIZE):
            call(mw, origin=f"https://u{i}.example.net")
            call(mw, "OPTIONS", origin=f"https://u{i}.example.net", access_control_request_method="GET")
        # Remembering all 16,384 answers of each kind holds some 18 MB (measured with the memos unbounded);
        # full memos forget everything instead of growing, and hold about 5 MB at most.
        assert tracemalloc.get_traced_memory()[0] < 9_000_000
    finally:
        tracemalloc.stop()
    # A memo that was full started afresh, so the allowed origin is decided again, answered as ever, and
    # remembered again.
    before = len(decisions)
    for _ in range(2):
        _, headers, _ = call(mw, origin=ALLOWED)
        assert ("Access-Control-Allow-Origin", ALLOWED) in headers
    assert len(decisions) == before + 1


def test_long_values_are_never_kept(decisions: list[tuple[Any, ...]]) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    decisions.clear()
    longest = "https://" + "a" * (MAX_MEMO_KEY_LENGTH - len("https://.example.com")) + ".example.com"
    too_long = "https://a" + longest.removeprefix("https://")
    assert len(longest) == MAX_MEMO_KEY_LENGTH
    requests: list[tuple[str, dict[str, str]]] = [
        ("GET", {"origin": too_long}),
        ("OPTIONS", {"origin": too_long, "access_control_request_method": "GET"}),
        (
            "OPTIONS",
            {
                "origin": ALLOWED,
                "access_control_request_method": "GET",
                "access_control_request_headers": "," * 5000,
            },
        ),
        ("GET", {"origin": "https://" + "a" * 100_000 + ".example.com"}),
    ]
    for method, headers in requests:
        call(mw, method, **headers)
        call(mw, method, **headers)
    assert len(decisions) == 2 * len(requests)  # decided every time: nothing was kept
    decisions.clear()
    call(mw, origin=longest)
    call(mw, origin=longest)
    assert len(decisions) == 1  # at the limit: kept


def test_an_origin_function_is_asked_on_every_request() -> None:
    asked: list[str] = []

    def partner(origin: str, environ: Any) -> bool:
        asked.append(origin)
        return environ.get("HTTP_X_PARTNER") == "yes"

    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy(allow_origin_func=partner))
    origin = "https://partner.example.org"
    _, yes, _ = call(mw, origin=origin, x_partner="yes")
    _, no, _ = call(mw, origin=origin, x_partner="no")
    pre_yes = call(mw, "OPTIONS", origin=origin, access_control_request_method="GET", x_partner="yes")
    pre_no = call(mw, "OPTIONS", origin=origin, access_control_request_method="GET", x_partner="no")
    assert ("Access-Control-Allow-Origin", origin) in yes
    assert not any(name == "Access-Control-Allow-Origin" for name, _ in no)
    assert pre_yes[0].startswith("204")
    assert pre_no[0].startswith("403")
    assert asked == [origin] * 4


def test_debug_mode_logs_every_preflight(caplog: pytest.LogCaptureFixture) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy(), debug=True)
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        for _ in range(3):
            call(mw, "OPTIONS", origin="https://evil.example.net", access_control_request_method="GET")
    assert sum("preflight" in r.getMessage() for r in caplog.records) == 3


def test_reconfigure_never_answers_from_the_old_policys_memo() -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    assert ("Access-Control-Allow-Origin", ALLOWED) in call(mw, origin=ALLOWED)[1]
    assert call(mw, "OPTIONS", origin=ALLOWED, access_control_request_method="GET")[0].startswith("204")
    mw.reconfigure(policy(allow_origins=["https://other.example.org"]))
    assert not any(name == "Access-Control-Allow-Origin" for name, _ in call(mw, origin=ALLOWED)[1])
    assert call(mw, "OPTIONS", origin=ALLOWED, access_control_request_method="GET")[0].startswith("403")


def test_requests_that_differ_in_one_header_never_share_an_answer() -> None:
    memoised = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    reference = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy(allow_origin_func=_never))
    for _ in range(2):  # the second pass is answered from the memos
        for request_kwargs in REQUESTS:
            kwargs = dict(request_kwargs)
            method = kwargs.pop("method", "GET")
            got, want = call(memoised, method, **kwargs), call(reference, method, **kwargs)
            assert got[0] == want[0], request_kwargs
            acao = [h for h in got[1] if h[0].startswith("Access-Control-")]
            assert acao == [h for h in want[1] if h[0].startswith("Access-Control-")], request_kwargs


def test_the_plain_names_are_none_the_middleware_owns() -> None:
    # The set is a shortcut past the first-letter test: a name in it is appended to, never rewritten.
    for name in PLAIN_NAMES:
        assert not name.lower().startswith("access-control-"), name
        assert name.lower() != "vary", name


def _any_case(name: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(name), max_size=len(name))
    return flips.map(lambda up: "".join(c.upper() if u else c.lower() for c, u in zip(name, up, strict=True)))


@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(sorted(PLAIN_NAMES)),
                _any_case("vary"),
                _any_case("access-control-allow-origin"),
                _any_case("access-control-expose-headers"),
                st.text(alphabet="AaVvXx-yz", max_size=8),
            ),
            st.just("v"),
        ),
        max_size=6,
    )
)
def test_a_response_is_merged_whenever_the_app_sends_a_name_the_middleware_owns(
    app_headers: list[tuple[str, str]],
) -> None:
    owned = any(n.lower().startswith("access-control-") or n.lower() == "vary" for n, _ in app_headers)
    if owned:
        assert needs_merge(app_headers)
    mw = CORSMiddleware(app_with(app_headers), policy())
    _, headers, _ = call(mw, origin=ALLOWED)
    assert headers == decide(policy(), "GET", ALLOWED).response_headers(app_headers)
    # Exactly the middleware's own: one Vary, one Allow-Origin, the app's values gone or merged.
    assert sum(name.lower() == "vary" for name, _ in headers) == 1
    assert [value for name, value in headers if name.lower() == "access-control-allow-origin"] == [ALLOWED]
    assert ("Access-Control-Expose-Headers", "X-Request-Id") in headers
    assert sum(name.lower() == "access-control-expose-headers" for name, _ in headers) == 1


def test_a_stream_of_refused_origins_never_empties_the_memo_of_an_exact_only_policy(
    decisions: list[tuple[Any, ...]],
) -> None:
    # Refusing an origin of a policy that lists only exact origins is one set lookup: it is decided each
    # time, and so unknown origins cannot push the allowed ones out of the memo.
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), allow_origins=[ALLOWED])
    call(mw, origin=ALLOWED)
    decisions.clear()
    for i in range(2 * ACTUAL_MEMO_SIZE):
        _, headers, _ = call(mw, origin=f"https://u{i}.example.net")
        assert headers == [("Content-Type", "text/plain"), ("Vary", "Origin")]
    assert len(decisions) == 2 * ACTUAL_MEMO_SIZE  # each refusal decided, none remembered
    _, headers, _ = call(mw, origin=ALLOWED)
    assert ("Access-Control-Allow-Origin", ALLOWED) in headers
    assert len(decisions) == 2 * ACTUAL_MEMO_SIZE  # the allowed origin still remembered


def test_a_policy_with_patterns_remembers_its_refusals(decisions: list[tuple[Any, ...]]) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    decisions.clear()
    for _ in range(3):
        call(mw, origin="https://evil.example.net")
    assert decisions == [("GET", "https://evil.example.net")]


@pytest.mark.parametrize("kind", ["GET", "OPTIONS"])
def test_a_full_memo_forgets_everything_at_its_bound_and_not_before(
    decisions: list[tuple[Any, ...]], kind: str
) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    bound = ACTUAL_MEMO_SIZE if kind == "GET" else PREFLIGHT_MEMO_SIZE
    origins = [f"https://u{i}.example.com" for i in range(bound + 1)]

    def ask(origin: str) -> None:
        if kind == "GET":
            call(mw, origin=origin)
        else:
            call(mw, "OPTIONS", origin=origin, access_control_request_method="GET")

    decisions.clear()
    for origin in origins[:bound]:
        ask(origin)
    ask(origins[0])
    assert len(decisions) == bound  # full, and every answer still remembered
    ask(origins[bound])  # one more: the memo starts afresh with it
    assert len(decisions) == bound + 1
    ask(origins[bound])
    ask(origins[0])
    assert len(decisions) == bound + 2  # the first one was forgotten, the last one kept


def test_a_preflight_is_remembered_with_an_origin_or_a_header_list_up_to_the_limit(
    decisions: list[tuple[Any, ...]],
) -> None:
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy())
    longest = "https://" + "a" * (MAX_MEMO_KEY_LENGTH - len("https://.example.com")) + ".example.com"
    names = "x-" + "a" * (MAX_MEMO_KEY_LENGTH - 2)  # refused, and a refused preflight is remembered too
    assert len(longest) == len(names) == MAX_MEMO_KEY_LENGTH
    for origin, acrh, kept in (
        (longest, None, True),
        (ALLOWED, names, True),
        (ALLOWED, names + "x", False),
    ):
        decisions.clear()
        for _ in range(2):
            headers = {"origin": origin, "access_control_request_method": "GET"}
            call(
                mw, "OPTIONS", **headers, **({} if acrh is None else {"access_control_request_headers": acrh})
            )
        assert len(decisions) == (1 if kept else 2), (origin, acrh)


def test_a_memo_keeps_a_key_of_the_longest_origin_and_forgets_all_when_full() -> None:
    memo: Memo[str, int] = Memo(size=2)
    assert memo.remember("a", 1) == 1
    assert memo.remember("b", 2) == 2
    assert dict(memo) == {"a": 1, "b": 2}
    assert memo.remember("c", 3) == 3
    assert dict(memo) == {"c": 3}
    assert memo.remember("x" * MAX_MEMO_KEY_LENGTH, 4) == 4
    assert memo.remember("y" * (MAX_MEMO_KEY_LENGTH + 1), 5) == 5
    assert dict(memo) == {"c": 3, "x" * MAX_MEMO_KEY_LENGTH: 4}
    pairs: Memo[tuple[str | None, ...], int] = Memo(size=4)
    pairs.remember(("x" * MAX_MEMO_KEY_LENGTH, None), 1)
    pairs.remember((None, "y" * (MAX_MEMO_KEY_LENGTH + 1)), 2)
    pairs.remember(("a", "b" * (MAX_MEMO_KEY_LENGTH + 1), None), 3)
    assert dict(pairs) == {("x" * MAX_MEMO_KEY_LENGTH, None): 1}


def test_a_report_only_candidate_remembers_its_answers_like_the_policy_in_force(
    decisions: list[tuple[Any, ...]],
) -> None:
    # The candidate's routes answer every request too: once per distinct request, like the enforced ones.
    candidate = policy(allow_origins=["https://*.example.com"])
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy(), report_only=candidate)
    decisions.clear()
    preflight = {"origin": ALLOWED, "access_control_request_method": "GET"}
    for _ in range(3):
        call(mw, origin=ALLOWED)
        call(mw, "OPTIONS", **preflight)
    # enforced and candidate: one actual and one preflight decision each
    assert sorted(decisions) == sorted([("GET", ALLOWED)] * 2 + [("OPTIONS", ALLOWED, "GET", None, None)] * 2)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("origin", "status"), [(ALLOWED, "204 No Content"), ("https://evil.example.net", "403 Forbidden")]
)
def test_a_preflight_is_written_as_its_body_chunks_and_nothing_more(
    debug: bool, origin: str, status: str
) -> None:
    # A granted preflight (204) has no body: the iterable yields no chunk at all, not an empty one; a refused
    # one yields the one chunk of its body (in debug mode, the one that says why).
    mw = CORSMiddleware(app_with([("Content-Type", "text/plain")]), policy(), debug=debug)
    environ = raw_environ(
        "OPTIONS", "/api/data", {"HTTP_ORIGIN": origin, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}
    )
    statuses: list[str] = []
    for _ in range(2):  # decided, then remembered (outside debug mode)
        chunks = list(mw(dict(environ), lambda status, headers, exc_info=None: statuses.append(status)))
        if status.startswith("204"):
            assert chunks == []
        else:
            assert len(chunks) == 1
            assert chunks[0].startswith(b"CORS preflight refused")
            assert (origin.encode() in chunks[0]) is debug
    assert statuses == [status, status]
