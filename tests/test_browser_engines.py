"""The real-browser proof in Firefox and WebKit: the demo page, served by ``python -m demo_app``, read by the
engines' own CORS checks (tests/test_browser.py does the same in Chromium, console lines included).

Skipped locally without the engine or its driver; a failure when CI=true (see ``engines.open_engine``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from engines import open_engine
from test_browser import ALLOWED, REFUSED_BY_POLICY, assert_writes_refused, hits, second_frontend

pytestmark = pytest.mark.browser


def run_page(engine_name: str, url: str) -> tuple[dict[str, dict[str, Any]], str, str]:
    """The demo page at ``url`` in a fresh profile: every scenario's result, the message, the explanation."""
    with open_engine(engine_name) as engine:
        engine.goto(url)
        engine.wait_for("document.body.dataset.done === 'true'")
        results = {r["id"]: r for r in engine.evaluate("window.demoResults")}
        message = engine.evaluate("document.querySelector('#message').textContent")
        explain = engine.evaluate("document.querySelector('#explain').textContent")
    return results, str(message).strip(), str(explain)


@pytest.mark.parametrize("engine", ["firefox", "webkit"])
def test_page_on_the_allowed_origin_reads_every_allowed_response(engine: str, demo_server: Any) -> None:
    server = demo_server()
    results, message, explain = run_page(engine, server.frontend_url + "/")
    assert message == "Hello from your API!"
    assert "two CORS errors on purpose" in explain
    for scenario in ALLOWED:
        result = results[scenario]
        assert result["outcome"] == "allowed", (engine, scenario, result)
        assert result["asExpected"] is True, (engine, scenario, result)
    assert results["simple"]["body"] == {"message": "Hello from your API!"}
    assert results["preflight"]["body"]["json"] == {"hello": "world"}
    assert results["credentials"]["body"]["token"]  # the cookie came back on the credentialed GET
    assert len(results["simple"]["headers"]["x-request-id"]) == 32  # readable: listed in expose_headers
    assert results["write"]["body"] == {"notes": 1}  # the listed origin writes through the guard
    for scenario in REFUSED_BY_POLICY:
        assert results[scenario]["outcome"] == "blocked", (engine, scenario, results[scenario])
        assert results[scenario]["asExpected"] is True
    assert all(r["asExpected"] for r in results.values()), results
    counts = hits(server)
    assert "DELETE /api/data" not in counts  # the refused preflight stopped it before the app
    assert counts.get("POST /api/notes") == 1
    assert "passed the API's write guard" in explain
    assert not [key for key in counts if key.startswith("OPTIONS ")]


@pytest.mark.parametrize("where", ["other-host", "other-port"])
@pytest.mark.parametrize("engine", ["firefox", "webkit"])
def test_page_on_another_origin_is_refused(engine: str, where: str, demo_server: Any) -> None:
    server = demo_server()
    with contextlib.ExitStack() as stack:
        if where == "other-host":
            other = f"http://127.0.0.1:{server.frontend_port}"
        else:
            other = stack.enter_context(second_frontend(server.api_url))
        results, message, explain = run_page(engine, other + "/")
    assert message != "Hello from your API!"
    assert "This refusal is the demonstration" in explain
    for scenario, result in results.items():
        assert result["outcome"] == "blocked", (engine, scenario, result)
        assert result["errorName"] == "TypeError", result
    assert_writes_refused(server, results, explain)
