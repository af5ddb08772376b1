"""load_config / config_from_mapping: every CORSPolicy field settable, every mistake named with its place."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy, config_from_mapping, load_config
from cors_wsgi.config import ORIGINS_ENV

LOCAL = "http://localhost:3000"
NO_ENV: dict[str, str] = {}


def is_partner(origin: str, environ: Any) -> bool:
    """Referenced from configs as "test_config:is_partner"."""
    return origin.endswith(".partner.test")


NOT_CALLABLE = 42


def rules_of(*tables: dict[str, Any], environ: dict[str, str] | None = None, **kw: Any) -> Any:
    return config_from_mapping({"rule": list(tables)}, environ=NO_ENV if environ is None else environ, **kw)


def error_of(*tables: dict[str, Any], **kw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        rules_of(*tables, **kw)
    return info.value


# One sample value for every CORSPolicy field, as it would be written in TOML.
EVERY_FIELD = {
    "allow_origins": ["http://localhost:3000", "https://*.example.com"],
    "allow_origin_regex": r"https://pr-[0-9]+\.preview\.example\.org",
    "allow_origin_func": "test_config:is_partner",
    "allow_origin_func_vary": ["X-Tenant"],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["content-type", "x-token"],
    "expose_headers": ["X-Request-Id"],
    "allow_credentials": True,
    "max_age": 120,
    "allow_private_network": True,
    "tolerate_insecure_origins": True,
}


def test_every_policy_field_has_a_config_sample() -> None:
    # Fails when CORSPolicy grows a field, so the loader and this table are revisited with it.
    init_fields = {f.name for f in dataclasses.fields(CORSPolicy) if f.init}
    assert set(EVERY_FIELD) == init_fields


def test_every_field_reaches_the_policy_as_the_constructor_would_build_it() -> None:
    [(path, policy)] = rules_of({"path": "/api/*", **EVERY_FIELD})
    assert path == "/api/*"
    expected = CORSPolicy(**{**EVERY_FIELD, "allow_origin_func": is_partner})
    assert policy == expected
    assert policy.allow_origin_func is is_partner


def test_toml_file_with_two_rules_keeps_their_order(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(
        """
[[rule]]
path = "/api/public/*"
allow_origins = ["*"]

[[rule]]
path = "/api/*"
allow_origins = ["http://localhost:3000"]
allow_credentials = true
max_age = false   # no Max-Age header
""",
        encoding="utf-8",
    )
    rules = load_config(path, environ=NO_ENV)
    assert [p for p, _ in rules] == ["/api/public/*", "/api/*"]
    assert rules[0][1] == CORSPolicy(allow_origins=["*"])
    assert rules[1][1] == CORSPolicy(allow_origins=[LOCAL], allow_credentials=True, max_age=None)


def test_loaded_rules_drive_the_middleware(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(
        '[[rule]]\npath = "/api/*"\nallow_origins = ["http://localhost:3000"]\n', encoding="utf-8"
    )

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    client = Client(CORSMiddleware(app, rules=load_config(path, environ=NO_ENV)))
    allowed = client.get("/api/x", headers={"Origin": LOCAL})
    assert allowed.headers["Access-Control-Allow-Origin"] == LOCAL
    refused = client.get("/api/x", headers={"Origin": "http://127.0.0.1:3000"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    elsewhere = client.get("/other", headers={"Origin": LOCAL})
    assert "Access-Control-Allow-Origin" not in elsewhere.headers


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("allowed_origins", "allow_origins"),
        ("allow-origins", "allow_origins"),
        ("allow_origin", "allow_origins"),
        ("origins", "allow_origins"),  # flask-cors
        ("supports_credentials", "allow_credentials"),  # flask-cors
        ("allow_credential", "allow_credentials"),
        ("allow_method", "allow_methods"),
        ("exposed_headers", "expose_headers"),
        ("maxage", "max_age"),
        ("allow_private_networks", "allow_private_network"),
        ("pth", "path"),
    ],
)
def test_unknown_key_is_refused_with_a_suggestion(key: str, suggestion: str) -> None:
    exc = error_of(
        {"path": "/api/*", "allow_origins": [LOCAL]}, {"path": "/x", "allow_origins": [LOCAL], key: 1}
    )
    assert exc.field == key
    assert str(exc) == f"<mapping>: rule[1] (path '/x'): {key}: unknown key; did you mean {suggestion!r}?"


def test_unknown_key_without_a_close_match_gets_no_guess() -> None:
    exc = error_of({"path": "/api/*", "allow_origins": [LOCAL], "colour": "blue"})
    assert str(exc) == "<mapping>: rule[0] (path '/api/*'): colour: unknown key"


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"^cors\.toml: rules: unknown top-level key; did you mean 'rule'\?$"
    ):
        config_from_mapping({"rules": []}, source="cors.toml", environ=NO_ENV)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "allow_origins",
            LOCAL,
            "expected an array of strings, got 'http://localhost:3000' (a string); did you mean ['http://localhost:3000']?",
        ),
        (
            "allow_origins",
            [LOCAL, 3000],
            "expected an array of strings, got ['http://localhost:3000', 3000] (an array)",
        ),
        ("allow_methods", "GET", "expected an array of strings, got 'GET' (a string); did you mean ['GET']?"),
        ("allow_headers", {"a": 1}, "expected an array of strings, got {'a': 1} (a table)"),
        ("expose_headers", 1, "expected an array of strings, got 1 (an integer)"),
        ("allow_credentials", "yes", "expected a boolean (true or false), got 'yes' (a string)"),
        ("allow_credentials", 1, "expected a boolean (true or false), got 1 (an integer)"),
        ("allow_private_network", "true", "expected a boolean (true or false), got 'true' (a string)"),
        ("max_age", "600", "expected an integer number of seconds (or false for none), got '600' (a string)"),
        ("max_age", 1.5, "expected an integer number of seconds (or false for none), got 1.5 (a float)"),
        ("max_age", True, "expected an integer number of seconds (or false for none), got True (a boolean)"),
        ("allow_origin_regex", ["x"], "expected a string (a regular expression), got ['x'] (an array)"),
        ("allow_origin_func", 3, "expected 'module:attribute' naming a callable, got 3 (an integer)"),
        (
            "allow_origin_func",
            "os.path",
            "expected 'module:attribute' naming a callable, got 'os.path' (a string)",
        ),
    ],
)
def test_wrong_type_names_file_rule_key_and_expected_type(key: str, value: Any, expected: str) -> None:
    good = {"path": "/api/*", "allow_origins": [LOCAL]}
    exc = error_of(good, {**good, "path": "/v2/*", key: value}, source="conf/cors.toml")
    assert exc.field == key
    assert str(exc) == f"conf/cors.toml: rule[1] (path '/v2/*'): {key}: {expected}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("json:no_such_function", "cannot import 'json:no_such_function': module 'json' has no attribute"),
        (
            "no_such_module_xyz:f",
            "cannot import 'no_such_module_xyz:f': No module named 'no_such_module_xyz'",
        ),
        ("test_config:NOT_CALLABLE", "'test_config:NOT_CALLABLE' is not callable"),
    ],
)
def test_origin_func_that_cannot_be_imported_is_refused(value: str, expected: str) -> None:
    exc = error_of({"path": "/api/*", "allow_origin_func": value})
    assert exc.field == "allow_origin_func"
    assert expected in str(exc)


def test_origin_func_may_be_a_callable_in_a_mapping() -> None:
    [(_, policy)] = rules_of({"path": "/api/*", "allow_origin_func": is_partner})
    assert policy.allow_origin_func is is_partner


@pytest.mark.parametrize(
    ("table", "field", "fragment"),
    [
        # Values are CORSPolicy's to judge; the loader only puts the place in front of its message.
        (
            {"allow_origins": ["http://localhost:3000/"]},
            "allow_origins",
            "did you mean 'http://localhost:3000'?",
        ),
        ({"allow_origins": ["localhost:3000"]}, "allow_origins", "did you mean 'http://localhost:3000'?"),
        (
            {"allow_origins": ["*"], "allow_credentials": True},
            "allow_origins",
            "'*' together with allow_credentials",
        ),
        ({"allow_origins": []}, "allow_origins", "no origin is allowed"),
        ({"allow_origins": [LOCAL], "allow_methods": ["GET POST"]}, "allow_methods", "'GET POST'"),
        ({"allow_origins": [LOCAL], "max_age": -1}, "max_age", "-1"),
        (
            {"allow_origins": [LOCAL], "allow_origin_regex": "("},
            "allow_origin_regex",
            "not a valid regular expression",
        ),
    ],
)
def test_policy_validation_errors_get_file_and_rule_context(
    table: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_mapping({"rule": [{"path": "/api/*", **table}]}, source="cors.toml", environ=NO_ENV)
    exc = info.value
    assert exc.field == field
    assert str(exc).startswith(f"cors.toml: rule[0] (path '/api/*'): {field}: ")
    assert fragment in str(exc)
    assert isinstance(exc.__cause__, ConfigError)  # the policy's own error, kept for tracebacks
    assert isinstance(exc, ValueError)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "cors.toml: rule: no [[rule]] tables"),
        (
            {"rule": {"path": "/api/*"}},
            "cors.toml: rule: must be an array of tables: write [[rule]], not [rule]",
        ),
        ({"rule": []}, "cors.toml: rule: must be a non-empty array of tables, got [] (an array)"),
        ({"rule": ["/api/*"]}, "cors.toml: rule[0]: rule: expected a table, got '/api/*' (a string)"),
        ({"rule": [{"allow_origins": [LOCAL]}]}, "cors.toml: rule[0]: path: missing"),
        (
            {"rule": [{"path": 5, "allow_origins": [LOCAL]}]},
            "cors.toml: rule[0]: path: expected a string, got 5",
        ),
        (
            {"rule": [{"path": "api/*", "allow_origins": [LOCAL]}]},
            "cors.toml: rule[0]: path: path pattern 'api/*'",
        ),
    ],
)
def test_shape_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data, source="cors.toml", environ=NO_ENV)
    assert str(info.value).startswith(message)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text('[[rule]]\npath = "/api/*\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cors\.toml: toml: not valid TOML: .*line 2"):
        load_config(path, environ=NO_ENV)


def test_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "nope.toml", environ=NO_ENV)


FILE_RULES = [
    {"path": "/api/*", "allow_origins": [LOCAL], "allow_credentials": True},
    {"path": "/public/*", "allow_origins": ["*"]},
]


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("https://app.example.com", ("https://app.example.com",)),
        (
            " https://a.example.com , https://b.example.com ,",
            ("https://a.example.com", "https://b.example.com"),
        ),
        ("HTTPS://App.Example.com:443", ("https://app.example.com",)),  # normalised by CORSPolicy
    ],
)
def test_environment_replaces_allow_origins_in_every_rule(value: str, origins: tuple[str, ...]) -> None:
    rules = rules_of(*FILE_RULES, environ={ORIGINS_ENV: value})
    assert [policy.allow_origins for _, policy in rules] == [origins, origins]
    assert rules[0][1].allow_credentials is True  # everything else still comes from the file


def test_environment_override_is_read_from_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ORIGINS_ENV, "http://localhost:3001")
    [(_, policy)] = config_from_mapping({"rule": FILE_RULES[:1]})
    assert policy.allow_origins == ("http://localhost:3001",)
    monkeypatch.delenv(ORIGINS_ENV)
    [(_, policy)] = config_from_mapping({"rule": FILE_RULES[:1]})
    assert policy.allow_origins == (LOCAL,)


def test_environment_override_can_be_renamed_or_turned_off() -> None:
    env = {ORIGINS_ENV: "https://ignored.example.com", "MYAPP_ORIGINS": "https://mine.example.com"}
    [(_, renamed)] = rules_of(FILE_RULES[0], environ=env, origins_env="MYAPP_ORIGINS")
    assert renamed.allow_origins == ("https://mine.example.com",)
    [(_, off)] = rules_of(FILE_RULES[0], environ=env, origins_env=None)
    assert off.allow_origins == (LOCAL,)


def test_environment_override_cannot_sneak_in_a_wildcard_with_credentials() -> None:
    exc = error_of(FILE_RULES[0], environ={ORIGINS_ENV: "*"})
    assert exc.field == "allow_origins"
    assert "'*' together with allow_credentials" in str(exc)
    assert str(exc).endswith(f"(allow_origins came from the environment variable {ORIGINS_ENV})")


def test_bad_origin_in_environment_says_where_it_came_from() -> None:
    exc = error_of(FILE_RULES[0], environ={ORIGINS_ENV: "localhost:3001"})
    assert "'localhost:3001'" in str(exc)
    assert f"environment variable {ORIGINS_ENV}" in str(exc)


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_empty_environment_override_is_refused(value: str) -> None:
    exc = error_of(FILE_RULES[0], environ={ORIGINS_ENV: value})
    assert exc.field == ORIGINS_ENV
    assert str(exc).startswith(f"environment: {ORIGINS_ENV}: is set but lists no origin")


def test_config_is_read_without_touching_os_environ_when_environ_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ORIGINS_ENV, "https://from-os.example.com")
    [(_, policy)] = rules_of(FILE_RULES[0], environ={})
    assert policy.allow_origins == (LOCAL,)
    assert os.environ[ORIGINS_ENV] == "https://from-os.example.com"
