"""Options from issue #11: origin functions that declare the headers they read, peers' option names with a
"did you mean", and the file's [middleware] table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from webtest import TestApp

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy, load_config
from cors_wsgi.lint import lint_file


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [b"hello"]


def tenant_origin(origin: str, environ: Any) -> bool:
    return bool(origin == f"https://{environ.get('HTTP_X_TENANT', '')}.example.com")


TENANT = CORSPolicy(
    allow_origin_func=tenant_origin, allow_origin_func_vary=["X-Tenant"], allow_methods=["PUT"]
)


@pytest.mark.parametrize(
    ("tenant", "allowed"),
    [("acme", True), ("other", False), (None, False)],
    ids=["allowed", "refused", "none"],
)
def test_origin_function_headers_join_vary_on_actual_responses(tenant: str | None, allowed: bool) -> None:
    headers = {"Origin": "https://acme.example.com"} | ({"X-Tenant": tenant} if tenant else {})
    res = TestApp(CORSMiddleware(hello, TENANT)).get("/", headers=headers)
    assert res.headers["Vary"] == "Accept-Encoding, Origin, X-Tenant"
    assert ("Access-Control-Allow-Origin" in res.headers) is allowed


def test_origin_function_headers_join_vary_on_preflights_and_without_origin() -> None:
    app = TestApp(CORSMiddleware(hello, TENANT))
    pre = app.options(
        "/",
        headers={
            "Origin": "https://acme.example.com",
            "X-Tenant": "acme",
            "Access-Control-Request-Method": "PUT",
        },
        status=204,
    )
    assert pre.headers["Vary"].endswith(", X-Tenant")
    assert app.get("/").headers["Vary"] == "Accept-Encoding, Origin, X-Tenant"


def test_a_header_vary_already_names_is_named_once_whatever_its_case() -> None:
    # The function reads Origin and the preflight's request headers anyway: Vary names each once.
    policy = TENANT.replace(
        allow_origin_func_vary=[
            "origin",
            "X-Tenant",
            "ACCESS-CONTROL-REQUEST-METHOD",
            "Access-Control-Request-Headers",
        ]
    )
    app = TestApp(CORSMiddleware(hello, policy))
    acme = {"Origin": "https://acme.example.com", "X-Tenant": "acme"}
    assert app.get("/", headers=acme).headers["Vary"] == "Accept-Encoding, Origin, X-Tenant"
    pre = app.options("/", headers={**acme, "Access-Control-Request-Method": "PUT"}, status=204)
    assert pre.headers["Vary"] == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, X-Tenant"
    )


def test_origin_function_vary_needs_a_function_and_header_names() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSPolicy(allow_origins=["https://a.example.com"], allow_origin_func_vary=["X-Tenant"])
    assert caught.value.errors[0].field == "allow_origin_func_vary"
    with pytest.raises(ConfigError, match="not a valid header name"):
        CORSPolicy(allow_origin_func=tenant_origin, allow_origin_func_vary=["X Tenant"])


@pytest.mark.parametrize(
    ("peer", "ours"),
    [
        ("origins", "allow_origins"),
        ("supports_credentials", "allow_credentials"),
        ("resources", "rules"),
        ("CORS_ALLOWED_ORIGINS", "allow_origins"),
        ("CORS_ALLOW_CREDENTIALS", "allow_credentials"),
        ("CORS_PREFLIGHT_MAX_AGE", "max_age"),
        ("CORS_URLS_REGEX", "rules"),
        ("intercept_exceptions", "catch_exceptions"),
    ],
)
def test_peer_option_names_get_did_you_mean(peer: str, ours: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(hello, **{peer: True})
    assert f"did you mean {ours!r}" in str(caught.value)


def test_middleware_table_in_the_file(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(
        '[middleware]\ncatch_exceptions = true\n\n[[rule]]\npath = "/*"\nallow_origins = ["https://a.example"]\n'
    )

    def boom(environ: Any, start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")

    app = CORSMiddleware.from_config(boom, config, environ={})
    assert app.catch_exceptions
    res = TestApp(app).get("/", headers={"Origin": "https://a.example"}, status=500)
    assert res.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert not CORSMiddleware.from_config(boom, config, environ={}, catch_exceptions=False).catch_exceptions
    assert len(load_config(config, environ={})) == 1  # load_config reads the same file
    assert not [f for f in lint_file(config) if f.severity == "error"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[middleware]\ncatch_exception = true\n", "did you mean 'catch_exceptions'"),
        ("[middleware]\ncatch_exceptions = 'yes'\n", "expected a boolean"),
        ("middleware = 1\n", "expected a table [middleware]"),
        ("[middlewares]\ncatch_exceptions = true\n", "did you mean 'middleware'"),
    ],
)
def test_middleware_table_mistakes(tmp_path: Path, table: str, message: str) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(table + '\n[[rule]]\npath = "/*"\nallow_origins = ["https://a.example"]\n')
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(config, environ={})
    assert any(message in f.message for f in lint_file(config))
