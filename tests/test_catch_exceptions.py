"""catch_exceptions=True: an exception escaping the app becomes a 500 the browser can read (issue #11)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from webtest import TestApp

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.unhandled import ERROR_BODY

FRONTEND = "https://app.example.com"
POLICY = CORSPolicy(allow_origins=[FRONTEND], allow_credentials=True, expose_headers=["X-Request-Id"])


class Boom(Exception):
    pass


def raises(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise Boom("secret database password in the message")


def raises_late(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    # start_response from the first iteration, as PEP 3333 allows, then an error before it
    raise Boom("lazy")
    yield b""  # pragma: no cover


def raises_after_start(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"partial"
    raise Boom("mid-stream")


class ClosingBody:
    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        raise Boom("on iteration")

    def close(self) -> None:
        self.closed = True


def wrap(app: Any, catch: bool = True, **kw: Any) -> TestApp:
    return TestApp(CORSMiddleware(app, POLICY, catch_exceptions=catch, **kw))


@pytest.mark.parametrize("app", [raises, raises_late], ids=["on-call", "on-first-iteration"])
def test_allowed_origin_gets_500_with_its_cors_headers(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        res = wrap(app).get("/x", headers={"Origin": FRONTEND}, status=500)
    assert res.status == "500 Internal Server Error"
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert res.headers["Access-Control-Allow-Credentials"] == "true"
    assert res.headers["Access-Control-Expose-Headers"] == "X-Request-Id"
    assert res.headers["Vary"] == "Origin"
    assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert res.body == ERROR_BODY
    assert b"secret" not in res.body
    assert b"Traceback" not in res.body
    (record,) = [r for r in caplog.records if r.name == "cors_wsgi"]
    assert record.exc_info is not None
    assert record.exc_info[0] is Boom


def test_refused_origin_gets_500_without_grant() -> None:
    res = wrap(raises).get("/x", headers={"Origin": "https://evil.example"}, status=500)
    assert "Access-Control-Allow-Origin" not in res.headers
    assert "Access-Control-Allow-Credentials" not in res.headers
    assert res.headers["Vary"] == "Origin"


def test_request_without_origin_gets_500_with_vary() -> None:
    res = wrap(raises).get("/x", status=500)
    assert "Access-Control-Allow-Origin" not in res.headers
    assert res.headers["Vary"] == "Origin"


def test_without_the_flag_the_exception_propagates() -> None:
    with pytest.raises(Boom):
        wrap(raises, catch=False).get("/x", headers={"Origin": FRONTEND})


def test_after_the_response_started_the_exception_is_re_raised() -> None:
    app = CORSMiddleware(raises_after_start, POLICY, catch_exceptions=True)
    calls: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        calls.append(status)

    body = app({"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "HTTP_ORIGIN": FRONTEND}, start_response)
    chunks = iter(body)
    assert next(chunks) == b"partial"
    with pytest.raises(Boom):
        next(chunks)
    assert calls == ["200 OK"]  # headers were never sent twice


def test_the_apps_body_is_closed_when_its_first_iteration_fails() -> None:
    body = ClosingBody()
    res = wrap(lambda environ, start_response: body).get("/x", headers={"Origin": FRONTEND}, status=500)
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert body.closed


def test_a_lazy_app_that_works_keeps_its_chunks_and_close() -> None:
    closed: list[bool] = []

    class Lazy:
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        lazy = Lazy()

        class Body:
            def __iter__(self) -> Iterator[bytes]:
                start_response("200 OK", [("Content-Type", "text/plain")])
                yield from lazy

            def close(self) -> None:
                lazy.close()

        return Body()

    res = wrap(app).get("/x", headers={"Origin": FRONTEND})
    assert res.body == b"ab"
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert closed == [True]


def test_preflights_never_reach_the_app() -> None:
    res = wrap(raises).options(
        "/x", headers={"Origin": FRONTEND, "Access-Control-Request-Method": "GET"}, status=204
    )
    assert res.headers["Access-Control-Allow-Origin"] == FRONTEND


def test_paths_no_rule_covers_are_left_to_the_server() -> None:
    app = TestApp(CORSMiddleware(raises, rules=[("/api/*", POLICY)], catch_exceptions=True))
    assert app.get("/api/x", headers={"Origin": FRONTEND}, status=500).headers["Vary"] == "Origin"
    with pytest.raises(Boom):
        app.get("/other", headers={"Origin": FRONTEND})


def test_check_suggests_the_flag_on_a_500_without_cors_headers() -> None:
    from cors_wsgi import check_wsgi

    def server(app: Any) -> Any:
        # What wsgiref, gunicorn and waitress do with an exception that reaches them: their own bare 500.
        def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            try:
                return list(app(environ, start_response))
            except Exception:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
                return [b"A server error occurred."]

        return serve

    verdict = check_wsgi(server(CORSMiddleware(raises, POLICY)), "/x", origin=FRONTEND)
    assert not verdict.passed
    assert verdict.failure is not None
    assert "catch_exceptions=True" in verdict.failure.fix
    fixed = check_wsgi(server(CORSMiddleware(raises, POLICY, catch_exceptions=True)), "/x", origin=FRONTEND)
    assert fixed.passed  # the page can now read the 500 and see the real error
    assert fixed.steps[-1].response.status == 500


def test_the_app_and_the_switch_are_fixed_at_construction() -> None:
    # What a covered request is handed to is chosen once; assigning either afterwards would silently
    # change nothing, so it is refused.
    mw = CORSMiddleware(raises, POLICY, catch_exceptions=True)
    assert mw.app is raises
    assert mw.catch_exceptions is True
    with pytest.raises(AttributeError):
        mw.catch_exceptions = False  # type: ignore[misc]
    with pytest.raises(AttributeError):
        mw.app = raises_late  # type: ignore[misc]
    response = TestApp(mw).get("/", headers={"Origin": FRONTEND}, status=500)
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
