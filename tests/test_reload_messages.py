"""What the middleware says about its configuration: the log records of ``reload_config`` word for word
(operators grep for them), which reload weakens the write guard, and the switches a reconfigure keeps.

Each row of the guard table is (guard before, guard after): the records a reload logs between them.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from raw_wsgi import call_raw

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy
from cors_wsgi.config import ORIGINS_ENV

APP = "http://localhost:3000"
OTHER = "https://other.example.com"
RULE = f'[[rule]]\npath = "/api/*"\nallow_origins = ["{APP}"]\n'


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def toml(protection: str | None = None, exempt: list[str] | None = None, catch: bool | None = None) -> str:
    lines = []
    if protection is not None:
        lines.append(f"csrf_protection = {protection}")
    if exempt is not None:
        lines.append("csrf_exempt = [" + ", ".join(f'"{p}"' for p in exempt) + "]")
    if catch is not None:
        lines.append(f"catch_exceptions = {str(catch).lower()}")
    return ("[middleware]\n" + "\n".join(lines) + "\n\n" if lines else "") + RULE


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cors_wsgi" and r.levelno == level]


def from_file(
    tmp_path: Path, text: str, environ: dict[str, str] | None = None
) -> tuple[Path, CORSMiddleware]:
    """A middleware built from a cors.toml holding ``text``, and the file's path (to rewrite and reload)."""
    path = tmp_path / "cors.toml"
    path.write_text(text)
    return path, CORSMiddleware.from_config(app, path, environ=environ or {})


def allowed(middleware: CORSMiddleware, origin: str) -> bool:
    _, headers, _ = call_raw(middleware, "GET", "/api/data", {"HTTP_ORIGIN": origin})
    return ("Access-Control-Allow-Origin", origin) in headers


def test_a_reload_logs_one_info_record_naming_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, middleware = from_file(tmp_path, RULE)
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        assert middleware.reload_config(path, environ={})
    assert records(caplog, logging.INFO) == [f"CORS configuration reloaded from {path}"]
    assert records(caplog, logging.WARNING) == records(caplog, logging.ERROR) == []


def test_a_reload_that_fails_logs_one_error_naming_the_file_and_the_mistake(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, middleware = from_file(tmp_path, RULE)
    path.write_text(RULE.replace("allow_origins", "alow_origins"))
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        assert not middleware.reload_config(path, environ={})
    (error,) = records(caplog, logging.ERROR)
    head = f"CORS configuration {path} not reloaded; the previous policy stays in force:\n"
    assert error.startswith(head)
    assert "alow_origins" in error.removeprefix(head)
    assert records(caplog, logging.INFO) == []
    assert allowed(middleware, APP)  # the previous policy answers


def test_a_reload_that_sets_catch_exceptions_otherwise_says_it_needs_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, middleware = from_file(tmp_path, toml(catch=True))
    assert middleware.catch_exceptions is True
    for catch, warned in ((True, False), (False, True), (None, False)):
        caplog.clear()
        path.write_text(toml(catch=catch))
        with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
            assert middleware.reload_config(path, environ={})
        expected = [
            f"CORS configuration {path} sets catch_exceptions = False, but the middleware in force has True: "
            "it is fixed when the middleware is built"
        ]
        assert records(caplog, logging.WARNING) == (expected if warned else []), catch
        assert middleware.catch_exceptions is True


TURNED = "CORS configuration {path} turned csrf_protection from {was} to {now}"
EXEMPTS = "CORS configuration {path} exempts more paths from csrf_protection: {added}"

# (guard in the first file, guard in the second, the warnings the reload logs)
GUARD_RELOADS: list[tuple[tuple[str, list[str]], tuple[str, list[str]], list[str]]] = [
    (("true", []), ("true", []), []),
    (("true", ["/api/a/*"]), ("true", ["/api/a/*"]), []),
    (("true", ["/api/a/*"]), ("true", []), []),  # fewer exemptions: stronger
    (("true", []), ("true", ["/api/hooks/*"]), [EXEMPTS.format(path="{path}", added="['/api/hooks/*']")]),
    (
        ("true", ["/api/a/*"]),
        ("true", ["/api/a/*", "/api/b/*", "/api/c/*"]),
        [EXEMPTS.format(path="{path}", added="['/api/b/*', '/api/c/*']")],
    ),
    (("true", []), ('"report"', []), [TURNED.format(path="{path}", was="True", now="'report'")]),
    (("true", []), ("false", []), [TURNED.format(path="{path}", was="True", now="False")]),
    (('"report"', []), ("false", []), [TURNED.format(path="{path}", was="'report'", now="False")]),
    (("false", []), ("true", []), []),
    (('"report"', []), ("true", []), []),
    # exemptions of a guard that is off protect nothing, so adding them weakens nothing
    (("false", []), ("false", ["/api/hooks/*"]), []),
    (("true", []), ("false", ["/api/hooks/*"]), [TURNED.format(path="{path}", was="True", now="False")]),
    (
        ("true", []),
        ('"report"', ["/api/hooks/*"]),
        [
            TURNED.format(path="{path}", was="True", now="'report'"),
            EXEMPTS.format(path="{path}", added="['/api/hooks/*']"),
        ],
    ),
]


@pytest.mark.parametrize(("before", "after", "warnings"), GUARD_RELOADS)
def test_a_reload_that_weakens_the_guard_says_how(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    before: tuple[str, list[str]],
    after: tuple[str, list[str]],
    warnings: list[str],
) -> None:
    path, middleware = from_file(tmp_path, toml(*before))
    path.write_text(toml(*after))
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        assert middleware.reload_config(path, environ={})
    assert records(caplog, logging.WARNING) == [w.format(path=path) for w in warnings]


def test_the_origins_override_is_read_from_the_environ_given(tmp_path: Path) -> None:
    path, middleware = from_file(tmp_path, RULE, {ORIGINS_ENV: OTHER})
    assert allowed(middleware, OTHER)
    assert not allowed(middleware, APP)
    assert middleware.reload_config(path, environ={ORIGINS_ENV: f"{APP}, {OTHER}"})
    assert allowed(middleware, APP)
    assert allowed(middleware, OTHER)
    assert middleware.reload_config(path, environ={})
    assert allowed(middleware, APP)
    assert not allowed(middleware, OTHER)


def test_reconfigure_keeps_debug_mode(caplog: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(app, CORSPolicy(allow_origins=[APP]), debug=True)
    middleware.reconfigure(CORSPolicy(allow_origins=[OTHER]))
    assert middleware.debug is True
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        assert allowed(middleware, OTHER)
    assert len(records(caplog, logging.DEBUG)) == 1  # debug mode logs every CORS request


def test_a_bad_policy_with_the_guard_on_is_one_config_error_naming_it() -> None:
    middleware = CORSMiddleware(app, CORSPolicy(allow_origins=[APP]))
    bad = [("/api/*", CORSPolicy(allow_origins=[APP])), ("api/*", CORSPolicy(allow_origins=[OTHER]))]
    with pytest.raises(ConfigError) as caught:
        middleware.reconfigure(bad, csrf_protection=True, csrf_exempt=["/*"])
    messages = [str(e) for e in caught.value.errors]
    assert len(messages) == 2, messages
    assert "'api/*'" in messages[0]
    assert "exempts every path" in messages[1]
    assert allowed(middleware, APP)
    assert middleware.csrf_protection is False


def test_the_signatures_show_what_keeps_a_setting() -> None:
    for name in ("report_only", "csrf_protection", "csrf_exempt"):
        parameter = inspect.signature(CORSMiddleware.reconfigure).parameters[name]
        assert repr(parameter.default) == "KEEP"


def test_a_middleware_says_its_class_and_switches() -> None:
    class Mine(CORSMiddleware):
        pass

    middleware = Mine(app, CORSPolicy(allow_origins=[APP]), debug=True)
    assert repr(middleware) == f"<Mine app={app!r} debug=True catch_exceptions=False>"
