"""The write guard (``csrf_protection``, #20) proven in Chromium, Firefox and WebKit, web security on.

CORS decides who may read a response, never who may send a request: a page on any origin can submit a
form, or ``fetch(url, {method: "POST", mode: "no-cors", credentials: "include"})`` with a ``text/plain``
body, and the browser sends it with no preflight. Here the engines themselves send those writes to an API
wrapped in ``CORSMiddleware(..., csrf_protection=True)``, and the server, not the page, says what happened:
every request that reached the server is recorded before the middleware (with the ``Origin``,
``Sec-Fetch-Site`` and cookie the engine sent, and the status it got back), and every write that reached
the application is counted inside it. So "refused" means the request did arrive and the application ran
0 times; "reaches" means it ran exactly once.

Three servers on loopback, in threads of this process, stopped at the end of the module:

- the API on ``http://localhost:A``, one rule for ``/api/*`` listing ``http://localhost:P`` with
  credentials; its own page ``/`` sets a ``SameSite=Lax`` session cookie;
- pages on ``http://localhost:P`` (the listed origin) and, the same server by another name,
  ``http://127.0.0.1:P`` (unlisted, and another *site*: ``Sec-Fetch-Site: cross-site``);
- pages on ``http://localhost:Q`` (unlisted; the same site as the API, since ports do not count for sites,
  so the engine sends the Lax cookie along and ``Sec-Fetch-Site: same-site``: the case SameSite cookies
  do not cover);

and, as the control, the same API and policy without the guard on ``http://localhost:B``, where the same
unlisted writes do reach the application.

Skipped locally without an engine or its driver; a failure when CI=true (``engines.open_engine`` and the
``browser`` fixture).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from conftest import get_free_port
from engines import ENGINES, Engine, open_engine
from werkzeug.serving import BaseWSGIServer, make_server

from cors_wsgi import CORSMiddleware, CORSPolicy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

pytestmark = pytest.mark.browser

ARRIVAL_TIMEOUT = 15.0
SESSION_COOKIE = "session"
# A page with somewhere for a form to land, so the script that submitted it keeps running.
PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>page</title></head>
<body><iframe name="sink" title="sink"></iframe></body></html>
"""


@dataclass(frozen=True)
class Arrival:
    """One request as the server saw it, before the middleware, and the status it was answered with."""

    method: str
    path: str
    tag: str
    origin: str | None
    fetch_site: str | None
    cookie: bool
    status: str
    headers: tuple[tuple[str, str], ...]


@dataclass
class Ledger:
    """What reached the server, and what reached the application; shared with the server threads."""

    arrivals: list[Arrival] = field(default_factory=list)
    writes: Counter[str] = field(default_factory=Counter)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, arrival: Arrival) -> None:
        with self.changed:
            self.arrivals.append(arrival)
            self.changed.notify_all()

    def count_write(self, tag: str) -> None:
        with self.changed:
            self.writes[tag] += 1

    def wait_for_post(self, tag: str, timeout: float = ARRIVAL_TIMEOUT) -> Arrival:
        """The POST carrying ``tag``, once it has been answered; fails if none arrives in time."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [a for a in self.arrivals if a.tag == tag and a.method == "POST"]
                if found:
                    assert len(found) == 1, found
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no POST tagged {tag} reached the server in {timeout} s")
                self.changed.wait(left)

    def written(self, tag: str) -> int:
        with self.changed:
            return self.writes[tag]


def header(arrival: Arrival, name: str) -> str:
    """The answer's ``name`` header ("" when absent); WSGI leaves the spelling to the application."""
    return next((value for key, value in arrival.headers if key.lower() == name), "")


def notes_app(ledger: Ledger) -> WSGIApplication:
    """The application: ``GET /`` is the API's own page (it sets the session cookie), ``POST /api/notes``
    records a write."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if (method, path) == ("GET", "/"):
            cookie = f"{SESSION_COOKIE}=s3cret; Path=/; SameSite=Lax; HttpOnly"
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", cookie)])
            return [PAGE]
        if (method, path) == ("POST", "/api/notes"):
            tag = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("tag", [""])[0]
            ledger.count_write(tag)
            body = json.dumps({"saved": tag, "cookie": SESSION_COOKIE in environ.get("HTTP_COOKIE", "")})
            start_response("201 Created", [("Content-Type", "application/json")])
            return [body.encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app


def recorded(app: WSGIApplication, ledger: Ledger) -> WSGIApplication:
    """``app`` with every request it answers written to ``ledger`` (the body is read first: the answer is
    whole, and the application has run or not, when the record appears)."""

    def wrapper(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, tuple(headers)]
            return start_response(status, headers, exc_info)

        body = b"".join(app(environ, keep))
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        ledger.record(
            Arrival(
                method=environ["REQUEST_METHOD"],
                path=environ.get("PATH_INFO", ""),
                tag=query.get("tag", [""])[0],
                origin=environ.get("HTTP_ORIGIN"),
                fetch_site=environ.get("HTTP_SEC_FETCH_SITE"),
                cookie=SESSION_COOKIE in environ.get("HTTP_COOKIE", ""),
                status=answer[0],
                headers=answer[1],
            )
        )
        return [body]

    return wrapper


def pages_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
    return [PAGE]


@dataclass
class Site:
    ledger: Ledger
    api_port: int
    bare_port: int
    pages_port: int
    other_port: int

    @property
    def api(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def bare_api(self) -> str:
        """The same API and policy without the guard: what CORS alone lets through."""
        return f"http://localhost:{self.bare_port}"

    def page(self, where: str) -> str:
        """The origin of the page for ``where``: listed, same-site, cross-site or the API's own."""
        return {
            "listed": f"http://localhost:{self.pages_port}",
            "same-site": f"http://localhost:{self.other_port}",
            "cross-site": f"http://127.0.0.1:{self.pages_port}",
            "same-origin": self.api,
        }[where]


def serve(port: int, app: WSGIApplication) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"server-{port}", daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    ports: list[int] = []
    for _ in range(4):
        ports.append(get_free_port(frozenset(ports)))
    api_port, bare_port, pages_port, other_port = ports
    ledger = Ledger()
    listed = f"http://localhost:{pages_port}"
    policy = CORSPolicy(
        allow_origins=[listed],
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        allow_credentials=True,
    )
    api = CORSMiddleware(notes_app(ledger), rules=[("/api/*", policy)], csrf_protection=True)
    bare = CORSMiddleware(notes_app(ledger), rules=[("/api/*", policy)])
    running = [
        serve(api_port, recorded(api, ledger)),
        serve(bare_port, recorded(bare, ledger)),
        serve(pages_port, pages_app),
        serve(other_port, pages_app),
    ]
    try:
        yield Site(ledger, api_port, bare_port, pages_port, other_port)
    finally:
        for server, thread in running:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One engine for the module's cases (a fresh profile each run of the module)."""
    chromium = request.getfixturevalue("browser") if request.param == "chromium" else None
    with open_engine(request.param, chromium) as opened:
        yield opened


# What the page runs: each script gets the URL and calls back once the engine has sent the request (a
# form submission) or has the page's view of the answer (a fetch).
FORM_POST = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
const form = document.createElement("form");
form.method = "POST";
form.action = url;
form.target = "sink";
const input = document.createElement("input");
input.name = "note";
input.value = "written by a form";
form.append(input);
document.body.append(form);
form.submit();
done("submitted");
"""
NO_CORS_POST = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
fetch(url, {method: "POST", mode: "no-cors", credentials: "include",
            headers: {"Content-Type": "text/plain"}, body: "written by a no-cors fetch"})
  .then(r => done({type: r.type, status: r.status}), e => done({error: String(e)}));
"""
CREDENTIALED_POST = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
fetch(url, {method: "POST", credentials: "include", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({note: "written by a credentialed fetch"})})
  .then(r => r.json().then(body => done({status: r.status, body})), e => done({error: String(e)}));
"""
SCRIPTS = {"form": FORM_POST, "no-cors": NO_CORS_POST, "cors": CREDENTIALED_POST}


@dataclass(frozen=True)
class Case:
    page: str  # Site.page's names
    send: str  # SCRIPTS' names
    reaches: bool
    fetch_site: str  # what every current engine sends for it
    cookie: bool  # whether the SameSite=Lax session cookie goes along

    @property
    def id(self) -> str:
        return f"{self.page}-{self.send}"


CASES = [
    # Unlisted origins: the engine sends the write; the guard answers 403 before the application.
    Case("cross-site", "form", reaches=False, fetch_site="cross-site", cookie=False),
    Case("cross-site", "no-cors", reaches=False, fetch_site="cross-site", cookie=False),
    Case("same-site", "form", reaches=False, fetch_site="same-site", cookie=True),
    Case("same-site", "no-cors", reaches=False, fetch_site="same-site", cookie=True),
    # The listed origin is trusted for writes too: what CORS lets it read, the guard lets it send.
    Case("listed", "cors", reaches=True, fetch_site="same-site", cookie=True),
    Case("listed", "form", reaches=True, fetch_site="same-site", cookie=True),
    Case("listed", "no-cors", reaches=True, fetch_site="same-site", cookie=True),
    # The API's own page needs no listing at all.
    Case("same-origin", "form", reaches=True, fetch_site="same-origin", cookie=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_write_reaches_the_application_only_from_a_trusted_origin(
    engine: Engine, site: Site, case: Case
) -> None:
    tag = uuid.uuid4().hex
    url = f"{site.api}/api/notes?tag={tag}"
    engine.goto(site.api + "/")  # the user has a session with the API: its own page sets the cookie
    engine.goto(site.page(case.page) + "/")
    seen = engine.run_async(SCRIPTS[case.send], url)

    arrival = site.ledger.wait_for_post(tag)
    where = (engine.name, case.id, arrival)
    # The engine did send the write, from where the case says, with what a browser sends with it.
    assert arrival.origin == site.page(case.page), where
    assert arrival.fetch_site == case.fetch_site, where
    assert arrival.cookie is case.cookie, where
    grants = [(name, value) for name, value in arrival.headers if name.lower().startswith("access-control-")]
    if case.reaches:
        assert arrival.status == "201 Created", where
        assert site.ledger.written(tag) == 1, where
    else:
        assert arrival.status.startswith("403"), where
        assert header(arrival, "content-type").startswith("text/plain"), where
        assert grants == [], where
        assert site.ledger.written(tag) == 0, where

    # What the page itself gets: nothing readable from a no-cors fetch, refused or not...
    if case.send == "no-cors":
        assert seen == {"type": "opaque", "status": 0}, (engine.name, case.id, seen)
    # ...and the listed origin reads its own write's answer, which says the cookie went along.
    if case.send == "cors":
        assert seen == {"status": 201, "body": {"saved": tag, "cookie": True}}, (engine.name, seen)
        assert header(arrival, "access-control-allow-origin") == site.page("listed"), where


REFUSED = [case for case in CASES if not case.reaches]


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_without_the_guard_the_same_writes_reach_the_application(
    engine: Engine, site: Site, case: Case
) -> None:
    """The control: the same policy without ``csrf_protection``. CORS alone lets every one of these writes
    run (the browser only withholds the answer), so the refusals above are the guard's doing."""
    tag = uuid.uuid4().hex
    engine.goto(site.page(case.page) + "/")
    engine.run_async(SCRIPTS[case.send], f"{site.bare_api}/api/notes?tag={tag}")
    arrival = site.ledger.wait_for_post(tag)
    assert arrival.status == "201 Created", (engine.name, case.id, arrival)
    assert header(arrival, "access-control-allow-origin") == "", (engine.name, case.id, arrival)
    assert site.ledger.written(tag) == 1, (engine.name, case.id, arrival)
