"""Rolling out a stricter policy (issue #12): report-only candidates, decision events, the debug answers the
browser can name, literal '*' grants, and reloading the file under a real gunicorn on SIGHUP."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import get_free_port, http_get, require_module, stop
from webtest import TestApp

from cors_wsgi import CORSMiddleware, CORSPolicy, check_wsgi
from cors_wsgi.observe import DecisionEvent, ReportLimiter

ROOT = Path(__file__).resolve().parent.parent
APP_ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example"
CURRENT = CORSPolicy(allow_origins=[APP_ORIGIN, PARTNER], allow_methods=["GET", "PUT"])
CANDIDATE = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["GET"])


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def answer(app: Any, method: str, origin: str, acrm: str | None = None) -> tuple[int, list[tuple[str, str]]]:
    headers = {"Origin": origin} | ({"Access-Control-Request-Method": acrm} if acrm else {})
    res = TestApp(app).request("/api/data", method=method, headers=headers, expect_errors=True)
    return res.status_int, sorted(res.headerlist)


REQUESTS = [
    ("GET", APP_ORIGIN, None),
    ("GET", PARTNER, None),
    ("GET", "https://evil.example", None),
    ("OPTIONS", PARTNER, "GET"),
    ("OPTIONS", APP_ORIGIN, "PUT"),
]


# --- report-only ------------------------------------------------------------------------------------------


def test_responses_follow_the_enforced_policy_alone() -> None:
    plain = CORSMiddleware(hello, CURRENT)
    observed = CORSMiddleware(hello, CURRENT, report_only=CANDIDATE)
    for method, origin, acrm in REQUESTS * 2:  # twice: the second answers come from the memos
        assert answer(observed, method, origin, acrm) == answer(plain, method, origin, acrm)


def test_one_record_per_difference_naming_both_outcomes(caplog: pytest.LogCaptureFixture) -> None:
    app = CORSMiddleware(hello, CURRENT, report_only=CANDIDATE)
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        answer(app, "GET", APP_ORIGIN)  # both allow: nothing to report
        answer(app, "GET", "https://evil.example")  # both refuse: nothing to report
        answer(app, "GET", PARTNER)  # the candidate would refuse
    records = [r for r in caplog.records if r.name == "cors_wsgi.report"]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.INFO
    line = record.getMessage()
    for part in (
        "'GET'",
        "'/api/data'",
        repr(PARTNER),
        "enforced=allowed",
        "candidate=refused",
        "origin-not-allowed",
    ):
        assert part in line, line


def test_report_lines_cannot_be_forged(caplog: pytest.LogCaptureFixture) -> None:
    app = CORSMiddleware(
        hello, CORSPolicy(allow_origin_regex=r"https://[a-z]+\.example"), report_only=CANDIDATE
    )
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/x",
            "HTTP_ORIGIN": "https://a.example\r\nFORGED: 1",
        }
        list(app(environ, lambda *a: None))
        answer(app, "GET", "https://abc.example")
    lines = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi.report"]
    assert lines
    assert all("\n" not in line and "\r" not in line for line in lines)


def test_a_flood_cannot_fill_a_disk(caplog: pytest.LogCaptureFixture) -> None:
    app = CORSMiddleware(hello, CORSPolicy(allow_origins=["https://*.example.com"]), report_only=CANDIDATE)
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        for _ in range(300):
            answer(app, "GET", "https://a.example.com")  # the same difference, again and again
        for i in range(500):
            answer(app, "GET", f"https://x{i}.example.com")  # a new origin each time
    records = [r for r in caplog.records if r.name == "cors_wsgi.report"]
    assert len(records) <= ReportLimiter().budget
    assert sum("https://a.example.com'" in r.getMessage() for r in records) == 1


def test_the_limiter_says_how_many_records_it_held_back() -> None:
    now = [1000.0]
    limiter = ReportLimiter(window=3600, budget=2, clock=lambda: now[0])
    assert limiter.allow(("o", "r", True)) == 0
    assert limiter.allow(("o", "r", True)) is None  # the same key: held back
    assert limiter.allow(("p", "r", True)) == 1  # sent, saying one was held back
    assert limiter.allow(("q", "r", True)) is None  # over budget
    now[0] += 3599
    assert limiter.allow(("q", "r", True)) is None  # still the same window
    now[0] += 1  # the next window
    assert limiter.allow(("q", "r", True)) == 2
    assert limiter.allow(("o", "r", True)) == 0  # keys are forgotten with the window


def test_the_class_is_the_class_whatever_is_observed() -> None:
    for options in ({}, {"report_only": CANDIDATE}, {"on_decision": print}):
        assert type(CORSMiddleware(hello, CURRENT, **options)) is CORSMiddleware


def test_report_only_from_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(
        f'[[rule]]\npath = "/*"\nallow_origins = ["{APP_ORIGIN}", "{PARTNER}"]\n\n'
        f'[[report_only.rule]]\npath = "/*"\nallow_origins = ["{APP_ORIGIN}"]\n'
    )
    app = CORSMiddleware.from_config(hello, config, environ={})
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        _status, headers = answer(app, "GET", PARTNER)
    assert ("Access-Control-Allow-Origin", PARTNER) in headers
    assert [r for r in caplog.records if r.name == "cors_wsgi.report"]


# --- decision events --------------------------------------------------------------------------------------


def test_one_event_per_cors_request() -> None:
    events: list[DecisionEvent] = []
    app = CORSMiddleware(
        hello, rules=[("/api/*", CURRENT)], report_only=[("/api/*", CANDIDATE)], on_decision=events.append
    )
    answer(app, "GET", APP_ORIGIN)
    answer(app, "GET", "https://evil.example")
    answer(app, "OPTIONS", PARTNER, "PUT")
    answer(app, "OPTIONS", APP_ORIGIN, "DELETE")
    TestApp(app).get("/api/data")  # no Origin: not a CORS request
    TestApp(app).get("/elsewhere", headers={"Origin": APP_ORIGIN})  # no rule covers it
    assert [(e.kind, e.origin, e.method, e.path, e.allowed, e.reason) for e in events] == [
        ("actual", APP_ORIGIN, "GET", "/api/data", True, None),
        ("actual", "https://evil.example", "GET", "/api/data", False, "origin-not-allowed"),
        ("preflight", PARTNER, "PUT", "/api/data", True, None),
        ("preflight", APP_ORIGIN, "DELETE", "/api/data", False, "method-not-allowed"),
    ]
    assert events[0].report_only is None
    difference = events[2].report_only
    assert difference is not None
    assert (difference.allowed, difference.reason, difference.rule) == (False, "origin-not-allowed", "/api/*")
    with pytest.raises(AttributeError):
        events[0].allowed = False  # type: ignore[misc]


def test_a_failing_callback_never_breaks_the_response(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: DecisionEvent) -> None:
        raise RuntimeError("metrics backend down")

    app = CORSMiddleware(hello, CURRENT, on_decision=broken)
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        status, headers = answer(app, "GET", APP_ORIGIN)
    assert status == 200
    assert ("Access-Control-Allow-Origin", APP_ORIGIN) in headers
    assert any("on_decision raised" in r.getMessage() for r in caplog.records)


def test_the_prometheus_example_of_the_guide() -> None:
    prometheus_client = require_module("prometheus_client")
    registry = prometheus_client.CollectorRegistry()
    decisions = prometheus_client.Counter(
        "cors_decisions", "CORS decisions", ["kind", "allowed", "reason"], registry=registry
    )

    def count(event: DecisionEvent) -> None:
        decisions.labels(event.kind, str(event.allowed).lower(), event.reason or "").inc()

    app = CORSMiddleware(hello, CURRENT, on_decision=count)
    for _ in range(3):
        answer(app, "GET", "https://evil.example")
    answer(app, "GET", APP_ORIGIN)
    sample = registry.get_sample_value
    assert (
        sample("cors_decisions_total", {"kind": "actual", "allowed": "false", "reason": "origin-not-allowed"})
        == 3
    )
    assert sample("cors_decisions_total", {"kind": "actual", "allowed": "true", "reason": ""}) == 1


# --- debug answers the browser can name; literal '*' --------------------------------------------------------


def test_debug_mode_lets_the_browser_name_the_method() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["GET", "POST"])
    verdict = check_wsgi(CORSMiddleware(hello, policy, debug=True), "/x", origin=APP_ORIGIN, method="PUT")
    assert verdict.failure is not None
    assert "Method PUT is not allowed by Access-Control-Allow-Methods" in verdict.failure.message
    plain = check_wsgi(CORSMiddleware(hello, policy), "/x", origin=APP_ORIGIN, method="PUT")
    assert plain.failure is not None
    assert "No 'Access-Control-Allow-Origin' header" in plain.failure.message  # the generic failure


def test_debug_mode_lets_the_browser_name_the_header() -> None:
    policy = CORSPolicy(allow_origins=[APP_ORIGIN], allow_methods=["PUT"], allow_headers=["content-type"])
    verdict = check_wsgi(
        CORSMiddleware(hello, policy, debug=True),
        "/x",
        origin=APP_ORIGIN,
        method="PUT",
        headers={"Content-Type": "application/json", "X-Token": "t"},
    )
    assert verdict.failure is not None
    assert "Request header field x-token is not allowed" in verdict.failure.message


@pytest.mark.parametrize(("credentials", "expected"), [(False, ("*", "*")), (True, ("PURGE", "x-a"))])
def test_literal_star_without_credentials_echo_with(credentials: bool, expected: tuple[str, str]) -> None:
    policy = CORSPolicy(
        allow_origins=[APP_ORIGIN], allow_methods=["*"], allow_headers=["*"], allow_credentials=credentials
    )
    res = TestApp(CORSMiddleware(hello, policy)).options(
        "/x",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "PURGE",
            "Access-Control-Request-Headers": "x-a",
        },
        status=204,
    )
    assert (
        res.headers["Access-Control-Allow-Methods"],
        res.headers["Access-Control-Allow-Headers"],
    ) == expected
    verdict = check_wsgi(
        CORSMiddleware(hello, policy),
        "/x",
        origin=APP_ORIGIN,
        method="PURGE",
        headers={"X-A": "1"},
        credentials=credentials,
    )
    assert verdict.passed, verdict.console


# --- reload on SIGHUP under a real gunicorn ---------------------------------------------------------------


def _write(config: Path, origin: str) -> None:
    config.write_text(f'[[rule]]\npath = "/*"\nallow_origins = ["{origin}"]\n')


def _granted(base: str, origin: str) -> tuple[bool, str]:
    status, headers, _ = http_get(base + "/", {"Origin": origin})
    assert status == 200
    return headers["Access-Control-Allow-Origin"] == origin, headers["X-Worker-Pid"]


def _until(predicate: Any, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s:\n{log.read_text()}")


def test_sighup_reloads_the_file_in_every_worker_and_keeps_the_policy_on_a_broken_file(
    tmp_path: Path,
) -> None:
    require_module("gunicorn")
    config = tmp_path / "cors.toml"
    _write(config, APP_ORIGIN)
    port = get_free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "CORS_TEST_CONFIG": str(config), "PYTHONPATH": str(ROOT / "tests")}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        "3",
        "-b",
        f"127.0.0.1:{port}",
        "-c",
        str(ROOT / "tests" / "rollout_gunicorn.conf.py"),
        "rollout_server:application",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _try(lambda: _granted(base, APP_ORIGIN)[0]), "the server did not start", log)

        def everywhere(origin: str, granted: bool) -> bool:
            answers = [_granted(base, origin) for _ in range(12)]  # a new connection each: several workers
            return all(a[0] is granted for a in answers)

        _write(config, PARTNER)
        os.kill(proc.pid, signal.SIGHUP)
        _until(
            lambda: everywhere(PARTNER, True) and everywhere(APP_ORIGIN, False),
            "the new file did not take",
            log,
        )
        pids = {_granted(base, PARTNER)[1] for _ in range(12)}

        config.write_text('[[rule]]\npath = "/*"\nallow_origins = ["not an origin"]\n')
        os.kill(proc.pid, signal.SIGHUP)
        _until(
            lambda: not pids & {_granted(base, PARTNER)[1] for _ in range(12)},
            "the workers were not replaced",
            log,
        )
        assert everywhere(PARTNER, True)  # the last good policy, in the new workers too
        assert proc.poll() is None
        text = log.read_text()
        assert "not reloaded; the previous policy stays in force" in text
        assert "not an origin" in text  # the ConfigError, naming the value
    finally:
        assert stop(proc, signal.SIGTERM) in (0, -signal.SIGTERM), log.read_text()


def _try(check: Any) -> bool:
    try:
        return bool(check())
    except OSError:
        return False


def test_lint_checks_the_candidate_rules_too(tmp_path: Path) -> None:
    from cors_wsgi.lint import lint_file

    config = tmp_path / "cors.toml"
    config.write_text(
        f'[[rule]]\npath = "/api/*"\nallow_origins = ["{APP_ORIGIN}"]\n\n'
        '[[report_only.rule]]\npath = "/api/*"\nallow_origins = ["http://partner.example.com"]\n'
        "allow_credentials = true\n\n"
        '[[report_only.rule]]\npath = "/public/*"\nallow_origins = ["null"]\n'
    )
    findings = lint_file(config)
    candidate = [f for f in findings if f.section == "report_only"]
    assert [(f.rule, f.severity) for f in candidate if f.severity == "error"] == [(0, "error")]
    assert "plain http://" in candidate[0].message
    assert str(candidate[0]).startswith("report_only rule[0] /api/*: error:")
    assert any(f.code == "null-origin" and f.rule == 1 for f in candidate)  # warnings as for any rule
    assert not [f for f in findings if f.section is None and f.severity == "error"]
