"""Live reconfiguration: ``reconfigure()`` swaps the whole compiled configuration atomically.

Every response must match what exactly one configuration answers (never a mix), a request in flight
finishes with the configuration it started with, and a bad new configuration raises ConfigError while
the old one stays in force. Checked under threads with a tiny GIL switch interval.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from raw_wsgi import call_raw, raw_environ

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy

A = CORSPolicy(
    allow_origins=["https://both.example", "https://a.example"],
    allow_methods=["GET", "PUT"],
    allow_headers=["x-a"],
    expose_headers=["x-from-a"],
    allow_credentials=True,
    max_age=111,
)
B = CORSPolicy(
    allow_origins=["https://both.example", "https://b.example"],
    allow_methods=["GET", "DELETE"],
    allow_headers=["x-b"],
    expose_headers=["x-from-b"],
    allow_credentials=False,
    max_age=222,
)
RULES_A: list[tuple[str, CORSPolicy]] = [("/*", A)]
RULES_B: list[tuple[str, CORSPolicy]] = [("/public/*", CORSPolicy(allow_origins=["*"])), ("/*", B)]

Fingerprint = tuple[str, tuple[tuple[str, str], ...]]

# (method, extra environ) — each answered differently by A and B
REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("OPTIONS", {"HTTP_ORIGIN": "https://both.example", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}),
    ("GET", {"HTTP_ORIGIN": "https://both.example"}),
    ("GET", {"HTTP_ORIGIN": "https://a.example"}),
    ("GET", {"HTTP_ORIGIN": "https://b.example"}),
    ("OPTIONS", {"HTTP_ORIGIN": "https://a.example", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}),
    (
        "OPTIONS",
        {
            "HTTP_ORIGIN": "https://both.example",
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "DELETE",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x-b",
        },
    ),
]


def plain_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [b"ok"]


def environ_for(method: str, extra: dict[str, str], path: str = "/x") -> dict[str, Any]:
    return raw_environ(method, path, extra, **{"wsgi.multithread": True})


def fingerprint(status: str, headers: list[tuple[str, str]]) -> Fingerprint:
    relevant = sorted(
        (k.lower(), v) for k, v in headers if k.lower().startswith("access-control-") or k.lower() == "vary"
    )
    return status[:3], tuple(relevant)


def call(app: Callable[..., Any], method: str, extra: dict[str, str], path: str = "/x") -> Fingerprint:
    status, headers, _ = call_raw(app, method, path, extra)
    return fingerprint(status, headers)


def expected(config: CORSPolicy | list[tuple[str, CORSPolicy]]) -> list[Fingerprint]:
    app = (
        CORSMiddleware(plain_app, config)
        if isinstance(config, CORSPolicy)
        else CORSMiddleware(plain_app, rules=config)
    )
    return [call(app, m, e) for m, e in REQUESTS]


@pytest.fixture
def fast_switching() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_the_two_configurations_answer_every_request_differently() -> None:
    """Precondition of the mix detector: A and B disagree on every request in the table."""
    for fa, fb in zip(expected(A), expected(B), strict=True):
        assert fa != fb
    assert expected(A) == expected(RULES_A)  # same answers on /x whether given as policy or as rules
    assert expected(B) == expected(RULES_B)


def test_reconfigure_switches_answers() -> None:
    app = CORSMiddleware(plain_app, A)
    assert [call(app, m, e) for m, e in REQUESTS] == expected(A)
    app.reconfigure(B)
    assert [call(app, m, e) for m, e in REQUESTS] == expected(B)
    app.reconfigure(RULES_A)
    assert [call(app, m, e) for m, e in REQUESTS] == expected(A)
    app.reconfigure(RULES_B)
    assert [call(app, m, e) for m, e in REQUESTS] == expected(B)
    # RULES_B's first rule: /public/* is open to every origin
    assert ("access-control-allow-origin", "*") in call(
        app, "GET", {"HTTP_ORIGIN": "https://evil.net"}, "/public/x"
    )[1]


def test_many_threads_never_see_a_mix(fast_switching: None) -> None:
    answers_a, answers_b = expected(A), expected(B)
    app = CORSMiddleware(plain_app, A)
    stop = threading.Event()
    failures: list[str] = []
    counts = {"a": 0, "b": 0, "swaps": 0, "bad": 0}
    lock = threading.Lock()

    def swapper() -> None:
        configs: list[CORSPolicy | list[tuple[str, CORSPolicy]]] = [B, RULES_A, RULES_B, A]
        i = 0
        while not stop.is_set():
            app.reconfigure(configs[i % len(configs)])
            i += 1
            with lock:
                counts["swaps"] = i
            try:  # a bad config in between: must raise and change nothing
                app.reconfigure([("/*", "not a policy")])  # type: ignore[list-item]
            except ConfigError:
                with lock:
                    counts["bad"] += 1
            else:
                failures.append("bad configuration accepted")

    def reader(seed: int) -> None:
        n = seed
        while not stop.is_set():
            idx = n % len(REQUESTS)
            n += 1
            got = call(app, *REQUESTS[idx])
            if got == answers_a[idx]:
                key = "a"
            elif got == answers_b[idx]:
                key = "b"
            else:
                failures.append(f"request {idx}: mixed answer {got}")
                return
            with lock:
                counts[key] += 1

    def enough() -> bool:
        with lock:
            return counts["a"] >= 500 and counts["b"] >= 500 and counts["swaps"] >= 50

    threads = [threading.Thread(target=swapper)] + [
        threading.Thread(target=reader, args=(s,)) for s in range(8)
    ]
    for t in threads:
        t.start()
    # Run until both configurations were each seen many times while swapping (bounded, never timed).
    for _ in range(6000):
        if enough() or failures:
            break
        stop.wait(0.01)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not failures, failures[:5]
    assert enough(), counts
    assert counts["bad"] > 0


def test_request_in_flight_keeps_its_configuration() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        entered.set()
        assert release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
        return [b"ok"]

    app = CORSMiddleware(slow_app, A)
    result: list[Fingerprint] = []
    t = threading.Thread(
        target=lambda: result.append(call(app, "GET", {"HTTP_ORIGIN": "https://both.example"}))
    )
    t.start()
    assert entered.wait(10)
    app.reconfigure(B)  # while the app is still working on the request
    release.set()
    t.join(10)
    assert result == [expected(A)[1]]
    # the next request sees B
    entered.clear()
    release.set()
    assert call(app, "GET", {"HTTP_ORIGIN": "https://both.example"}) == expected(B)[1]


def test_streaming_app_keeps_the_configuration_of_its_start() -> None:
    """PEP 3333: a generator app calls start_response on the first next(), after the middleware returned."""

    def generator_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
        yield b"o"
        yield b"k"

    app = CORSMiddleware(generator_app, A)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, list(headers)
        return lambda data: None

    iterable = app(environ_for("GET", {"HTTP_ORIGIN": "https://both.example"}), start_response)
    app.reconfigure(B)  # the request started under A; its app has not even run yet
    body = b"".join(iterable)
    getattr(iterable, "close", lambda: None)()
    assert body == b"ok"
    assert fingerprint(seen["status"], seen["headers"]) == expected(A)[1]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param([("/*", "not a policy")], id="rule-policy-not-a-policy"),
        pytest.param("https://app.example.com", id="bare-string"),
        pytest.param(42, id="int"),
        pytest.param(None, id="none-no-silent-allow-all"),
        pytest.param([], id="empty-rules-no-silent-allow-all"),
        pytest.param([("/*",)], id="rule-not-a-pair"),
        pytest.param([(42, A)], id="rule-pattern-not-a-string"),
    ],
)
def test_bad_configuration_raises_and_old_stays(bad: Any) -> None:
    app = CORSMiddleware(plain_app, A)
    with pytest.raises(ConfigError):
        app.reconfigure(bad)
    assert [call(app, m, e) for m, e in REQUESTS] == expected(A)


def test_config_error_names_the_value() -> None:
    app = CORSMiddleware(plain_app, A)
    with pytest.raises(ConfigError) as info:
        app.reconfigure([("/*", "not a policy")])  # type: ignore[list-item]
    assert "not a policy" in str(info.value)
    assert isinstance(info.value, ValueError)


def _toml(policy: CORSPolicy, table: str) -> str:
    def strings(values: Any) -> str:
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"

    return (
        f'[[{table}]]\npath = "/*"\nallow_origins = {strings(policy.allow_origins)}\n'
        f"allow_methods = {strings(policy.allow_methods)}\nallow_headers = {strings(policy.allow_headers)}\n"
        f"expose_headers = {strings(policy.expose_headers)}\n"
        f"allow_credentials = {str(policy.allow_credentials).lower()}\nmax_age = {policy.max_age}\n\n"
    )


def test_threads_see_whole_snapshots_while_candidates_come_and_go(
    fast_switching: None, tmp_path: Any
) -> None:
    """Responses and the events of the same requests, while reconfigure and reload_config switch between
    "A enforced, B as candidate" and "B enforced, no candidate": every (response, event) pair is one that a
    single snapshot gives, never A's answer without B's report, nor B's answer with a candidate."""
    with_candidate = tmp_path / "with.toml"
    with_candidate.write_text(_toml(A, "rule") + _toml(B, "report_only.rule"))
    without = tmp_path / "without.toml"
    without.write_text(_toml(B, "rule"))
    local = threading.local()

    def record(event: Any) -> None:
        local.events.append(event)

    def observed(app: Any, method: str, extra: dict[str, str]) -> tuple[Fingerprint, Any]:
        local.events = []
        answer = call(app, method, extra)
        return answer, tuple(local.events)

    whole = set()
    for enforced, candidate in ((RULES_A, [("/*", B)]), ([("/*", B)], None)):
        reference = CORSMiddleware(plain_app, rules=enforced, report_only=candidate, on_decision=record)
        whole |= {(i, observed(reference, m, e)) for i, (m, e) in enumerate(REQUESTS)}
    assert len(whole) == 2 * len(REQUESTS)
    # Built as the first step leaves it: every state a reader can meet is one of the two above.
    app = CORSMiddleware(plain_app, rules=RULES_A, report_only=[("/*", B)], on_decision=record)
    stop = threading.Event()
    failures: list[str] = []
    seen: set[tuple[int, Any]] = set()
    switches = [0]

    def switcher() -> None:
        steps: list[Callable[[], Any]] = [
            lambda: app.reconfigure(RULES_A, report_only=[("/*", B)]),
            lambda: app.reload_config(without, environ={}),
            lambda: app.reload_config(with_candidate, environ={}),
            lambda: app.reconfigure([("/*", B)], report_only=None),
        ]
        while not stop.is_set():
            steps[switches[0] % len(steps)]()
            switches[0] += 1

    def reader(seed: int) -> None:
        n = seed
        while not stop.is_set():
            idx = n % len(REQUESTS)
            n += 1
            pair = (idx, observed(app, *REQUESTS[idx]))
            if pair not in whole:
                failures.append(f"request {idx}: {pair[1]} is no snapshot's answer")
                return
            seen.add(pair)

    threads = [threading.Thread(target=switcher)] + [
        threading.Thread(target=reader, args=(s,)) for s in range(6)
    ]
    for t in threads:
        t.start()
    for _ in range(6000):  # until every whole answer was seen while switching (bounded, never timed)
        if (len(seen) == len(whole) and switches[0] >= 40) or failures:
            break
        stop.wait(0.01)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not failures, failures[:3]
    assert seen == whole
