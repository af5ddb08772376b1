"""Every switch means what it says (issue #19): the candidate is what the last configuration said, a subclass
behaves like the class, ``debug`` and ``on_decision`` take effect on the next request, reports say what a
preflight asked for, a dot-segment path is observed like any other, and nothing compiled can be changed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from raw_wsgi import call_raw

from cors_wsgi import CORSMiddleware, CORSPolicy, DecisionEvent
from cors_wsgi.remembered import Route
from cors_wsgi.rules import DOT_SEGMENT_RULE

APP = "https://app.example.com"
PARTNER = "https://partner.example"
BOTH = CORSPolicy(allow_origins=[APP, PARTNER], allow_methods=["GET", "PUT"])
APP_ONLY = CORSPolicy(allow_origins=[APP], allow_methods=["GET"])


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def get(app: Any, origin: str, path: str = "/api/data") -> tuple[str, list[tuple[str, str]], bytes]:
    return call_raw(app, "GET", path, {"HTTP_ORIGIN": origin})


def preflight(
    app: Any, origin: str, method: str, headers: str | None = None, path: str = "/api/data"
) -> tuple[str, list[tuple[str, str]], bytes]:
    extra = {"HTTP_ORIGIN": origin, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": method}
    if headers is not None:
        extra["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = headers
    return call_raw(app, "OPTIONS", path, extra)


def reports(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cors_wsgi.report"]


def write(path: Path, candidate: bool, *more_origins: str) -> Path:
    origins = ", ".join(f'"{origin}"' for origin in (APP, PARTNER, *more_origins))
    text = f'[[rule]]\npath = "/*"\nallow_origins = [{origins}]\n'
    if candidate:
        text += f'\n[[report_only.rule]]\npath = "/*"\nallow_origins = ["{APP}"]\n'
    path.write_text(text)
    return path


# 1. and 2. reload_config makes the candidate exactly what the file says.


def test_a_reload_that_adds_a_candidate_starts_reporting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write(tmp_path / "cors.toml", candidate=False)
    app = CORSMiddleware.from_config(hello, config, environ={})
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        get(app, PARTNER)
        assert reports(caplog) == []
        assert app.reload_config(write(config, candidate=True), environ={})
        get(app, PARTNER)
    [record] = reports(caplog)
    assert f"origin={PARTNER!r}" in record
    assert "enforced=allowed candidate=refused" in record


def test_a_reload_that_removes_the_candidate_stops_reporting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write(tmp_path / "cors.toml", candidate=True)
    app = CORSMiddleware.from_config(hello, config, environ={})
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        get(app, PARTNER)
        assert len(reports(caplog)) == 1
        third = "https://third.example"
        assert app.reload_config(write(config, False, third), environ={})
        assert ("Access-Control-Allow-Origin", third) in get(app, third)[1]
        # The old candidate would refuse it: a new difference, which the limiter would let through.
    assert len(reports(caplog)) == 1


def test_a_reload_of_a_missing_file_keeps_the_policy_in_force(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A reload on a signal must not take the server down when the file was moved away.
    config = write(tmp_path / "cors.toml", candidate=False)
    app = CORSMiddleware.from_config(hello, config, environ={})
    config.unlink()
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        assert app.reload_config(config, environ={}) is False
    assert any("not reloaded" in r.getMessage() for r in caplog.records)
    assert ("Access-Control-Allow-Origin", PARTNER) in get(app, PARTNER)[1]


def test_a_reload_that_changes_catch_exceptions_says_it_is_fixed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write(tmp_path / "cors.toml", candidate=False)
    app = CORSMiddleware.from_config(hello, config, environ={})
    config.write_text(config.read_text() + "\n[middleware]\ncatch_exceptions = true\n")
    with caplog.at_level(logging.WARNING, logger="cors_wsgi"):
        assert app.reload_config(config, environ={})
    assert app.catch_exceptions is False
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "catch_exceptions = True" in warning
    assert "in force has False" in warning
    assert "fixed when the middleware is built" in warning


def test_overlapping_reloads_end_with_the_file_read_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first reload reads the old file and is slow to finish; a second one reads the newer file. Reloads
    # read under the writers' lock, so the older file can never be swapped in after the newer one.
    import threading

    from cors_wsgi import middleware

    config = write(tmp_path / "cors.toml", candidate=False)
    app = CORSMiddleware.from_config(hello, config, environ={})
    third = "https://third.example"
    read_old, release = threading.Event(), threading.Event()
    real_load = middleware.load_middleware_config

    def slow_first_load(*args: Any, **kwargs: Any) -> Any:
        loaded = real_load(*args, **kwargs)
        if not read_old.is_set():
            read_old.set()
            release.wait(5)
        return loaded

    monkeypatch.setattr(middleware, "load_middleware_config", slow_first_load)
    first = threading.Thread(target=app.reload_config, args=(config,), kwargs={"environ": {}})
    first.start()
    assert read_old.wait(5)
    write(config, False, third)  # the newer file
    second = threading.Thread(target=app.reload_config, args=(config,), kwargs={"environ": {}})
    second.start()
    second.join(0.2)
    release.set()
    first.join(5)
    second.join(5)
    assert ("Access-Control-Allow-Origin", third) in get(app, third)[1]


def test_reconfigure_keeps_replaces_or_clears_the_candidate(caplog: pytest.LogCaptureFixture) -> None:
    app = CORSMiddleware(hello, BOTH, report_only=APP_ONLY)
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        app.reconfigure(BOTH)  # left out: kept
        get(app, PARTNER)
        assert len(reports(caplog)) == 1
        app.reconfigure(BOTH, report_only=BOTH)  # replaced: no difference any more
        get(app, "https://second.partner.example")
        assert len(reports(caplog)) == 1
        app.reconfigure(BOTH, report_only=APP_ONLY)
        get(app, "https://third.partner.example")
        assert len(reports(caplog)) == 1  # refused by both: no difference
        get(app, f"{PARTNER}:8443")
        assert len(reports(caplog)) == 1
        app.reconfigure(BOTH, report_only=None)  # cleared
        get(app, "https://fourth.partner.example")
    assert len(reports(caplog)) == 1


# 3. A subclass behaves exactly like the class.


class Subclassed(CORSMiddleware):
    pass


@pytest.mark.parametrize("cls", [CORSMiddleware, Subclassed])
def test_a_subclass_delivers_events_like_the_class(cls: type[CORSMiddleware]) -> None:
    events: list[DecisionEvent] = []
    app = cls(hello, BOTH, on_decision=events.append)
    assert type(app) is cls
    get(app, APP)
    preflight(app, "https://evil.example", "GET")
    assert [(e.kind, e.origin, e.allowed, e.reason) for e in events] == [
        ("actual", APP, True, None),
        ("preflight", "https://evil.example", False, "origin-not-allowed"),
    ]


# 4. debug and on_decision take effect on the very next request, and stay through reconfigure.


def test_debug_switched_after_each_reconfigure_follows_the_switch() -> None:
    # After jub0bs/cors's reconfigure table: debug changes between configurations; every step must answer
    # a preflight refused for its method as that step's debug setting says (debug: 204 with the origin
    # granted, so the browser names the method; else 403).
    app = CORSMiddleware(hello, APP_ONLY)
    steps = [(BOTH, True), (APP_ONLY, False), (APP_ONLY, True), (BOTH, False), (BOTH, True)]
    for policy, debug in steps:
        app.reconfigure(policy)
        app.debug = debug
        assert app.debug is debug
        status, headers, _ = preflight(app, APP, "DELETE")
        assert status == ("204 No Content" if debug else "403 Forbidden"), (policy, debug)
        assert (("Access-Control-Allow-Origin", APP) in headers) is debug
        app.debug = not debug  # and back, without a reconfigure in between
        status, _, _ = preflight(app, APP, "DELETE")
        assert status == ("403 Forbidden" if debug else "204 No Content")
        app.debug = debug


def test_on_decision_set_later_is_called_from_the_next_request() -> None:
    app = CORSMiddleware(hello, BOTH)
    assert app.on_decision is None
    events: list[DecisionEvent] = []
    get(app, APP)
    app.on_decision = events.append
    get(app, APP)
    assert len(events) == 1
    app.reconfigure(APP_ONLY)
    get(app, PARTNER)
    assert [(e.origin, e.allowed) for e in events] == [(APP, True), (PARTNER, False)]
    app.on_decision = None
    get(app, APP)
    assert len(events) == 2


def test_a_switch_that_is_not_callable_is_refused() -> None:
    app = CORSMiddleware(hello, BOTH)
    with pytest.raises(ValueError, match="on_decision"):
        app.on_decision = "print"  # type: ignore[assignment]
    assert app.on_decision is None


@pytest.mark.parametrize("name", ["app", "catch_exceptions"])
def test_what_is_fixed_at_construction_cannot_be_set(name: str) -> None:
    app = CORSMiddleware(hello, BOTH)
    with pytest.raises(AttributeError):
        setattr(app, name, None)


# 5. A report of a preflight says what it asked for.


def test_a_preflight_report_names_the_method_and_headers_asked(caplog: pytest.LogCaptureFixture) -> None:
    enforced = BOTH.replace(allow_headers=["x-token", "content-type"])
    app = CORSMiddleware(hello, enforced, report_only=APP_ONLY.replace(allow_headers=["x-token"]))
    with caplog.at_level(logging.INFO, logger="cors_wsgi.report"):
        assert preflight(app, APP, "PUT", "x-token,content-type")[0] == "204 No Content"
    [record] = reports(caplog)
    assert "'OPTIONS' '/api/data'" in record
    assert "asks method='PUT' headers='x-token,content-type'" in record
    assert "reason=method-not-allowed" in record


# 6. A path with a dot segment is answered and observed like any other refusal.


def test_a_dot_segment_path_is_refused_and_observed(caplog: pytest.LogCaptureFixture) -> None:
    events: list[DecisionEvent] = []
    rules = [("/api/*", BOTH)]
    app = CORSMiddleware(
        hello, rules=rules, report_only=[("/*", BOTH)], on_decision=events.append, debug=True
    )
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        status, headers, body = preflight(app, APP, "GET", path="/api/../admin")
        _, actual_headers, _ = get(app, APP, path="/api/./data")
    assert status == "403 Forbidden"
    assert b"'.' or '..' segment" in body
    assert not any(name.startswith("Access-Control-") for name, _ in headers + actual_headers)
    assert [(e.kind, e.rule, e.reason) for e in events] == [
        ("preflight", "(dot segment)", "path-dot-segment"),
        ("actual", "(dot segment)", "path-dot-segment"),
    ]
    assert any("/api/../admin" in r.getMessage() for r in caplog.records if r.name == "cors_wsgi")


def test_every_route_is_whole() -> None:
    # The dot segment's route is built like any other (it once was a subclass that skipped __init__).
    for route in (Route(BOTH.compiled, "/*", debug=False), Route(None, DOT_SEGMENT_RULE, debug=True)):
        for name in Route.__slots__:
            getattr(route, name)
        *_, decision = route.reply((APP, "GET", None, None), {})
        assert decision.status == (204 if route.compiled else 403)


# 7. Immutable means immutable.


def test_a_compiled_policy_and_its_matcher_cannot_be_changed() -> None:
    compiled = BOTH.compiled
    with pytest.raises(AttributeError):
        compiled.matcher.exact = frozenset({"https://evil.example"})  # type: ignore[misc]
    with pytest.raises(AttributeError):
        compiled.any_origin = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del compiled.methods
    with pytest.raises(AttributeError):
        del compiled.matcher.exact
    route = Route(compiled, "*", debug=False)
    for name in Route.__slots__:
        with pytest.raises(AttributeError):
            delattr(route, name)
    with pytest.raises(AttributeError):
        route.actuals.size = 10**9  # type: ignore[misc]
    assert isinstance(compiled.methods, frozenset)
    app = CORSMiddleware(hello, BOTH)
    assert "Access-Control-Allow-Origin" not in dict(get(app, "https://evil.example")[1])


def test_a_server_that_changes_the_headers_it_is_given_changes_no_later_answer() -> None:
    app = CORSMiddleware(hello, BOTH)

    def call_with_a_greedy_server(method: str, extra: dict[str, str]) -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.extend(headers)
            headers.append(("Server", "greedy"))  # what some servers do to the list they are given
            headers[:] = [(n, "x") for n, _ in headers]
            return lambda data: None

        environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": "/x", **extra}
        b"".join(app(environ, start_response))
        return seen

    for extra in (
        {"HTTP_ORIGIN": APP},
        {"HTTP_ORIGIN": "https://evil.example"},
        {},
    ):
        first = call_with_a_greedy_server("GET", extra)
        assert call_with_a_greedy_server("GET", extra) == first
    pre = {"HTTP_ORIGIN": APP, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}
    first = call_with_a_greedy_server("OPTIONS", pre)
    assert call_with_a_greedy_server("OPTIONS", pre) == first
    assert ("Access-Control-Allow-Origin", APP) in first
