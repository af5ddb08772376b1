"""CORSMiddleware's arguments: what each wrong combination is told, word for word, and that every mistake
is reported at once; a report-only candidate is compared, never explained."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from raw_wsgi import call_raw

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy

APP = "http://localhost:3000"
POLICY = CORSPolicy(allow_origins=[APP])
RULES = [("/api/*", POLICY)]
ONE_OF = (
    "policy: give exactly one of: a CORSPolicy, rules=[(path, CORSPolicy), ...], or policy keywords such as "
    "allow_origins=[...] (got {})"
)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


# (positional policy, keywords, every message of the ConfigError)
MISTAKES: list[tuple[Any, dict[str, Any], list[str]]] = [
    (None, {}, [ONE_OF.format("none")]),
    (POLICY, {"rules": RULES}, [ONE_OF.format("policy, rules")]),
    (POLICY, {"allow_origins": [APP]}, [ONE_OF.format("policy, policy keywords")]),
    (None, {"rules": RULES, "allow_origins": [APP]}, [ONE_OF.format("rules, policy keywords")]),
    (POLICY, {"rules": RULES, "allow_origins": [APP]}, [ONE_OF.format("policy, rules, policy keywords")]),
    ("https://app.example.com", {}, ["policy: 'https://app.example.com' is not a CORSPolicy"]),
    # a misspelt keyword alone is told as such, not as a missing policy
    (
        None,
        {"allow_orgins": [APP]},
        ["allow_orgins: unknown CORSMiddleware argument 'allow_orgins'; did you mean 'allow_origins'?"],
    ),
    (
        None,
        {"allow_orgins": [APP], "rules": RULES, "allow_methods": ["GET"]},
        [
            "allow_orgins: unknown CORSMiddleware argument 'allow_orgins'; did you mean 'allow_origins'?",
            ONE_OF.format("rules, policy keywords"),
        ],
    ),
    # no policy and a guard: the missing policy is told, and the guard has no rules to judge
    (None, {"csrf_protection": True}, [ONE_OF.format("none")]),
    (
        None,
        {"csrf_protection": "yes", "csrf_exempt": ["/*"]},
        [
            ONE_OF.format("none"),
            "csrf_protection: 'yes' is not one of True, False or 'report'; did you mean True (in TOML: true, "
            "without quotes)?",
            "csrf_exempt: '/*' exempts every path: the guard would refuse nothing; list the paths that take "
            "cross-site writes (webhooks, OAuth or SAML callbacks), or leave csrf_protection off",
        ],
    ),
]


@pytest.mark.parametrize(("policy", "keywords", "messages"), MISTAKES)
def test_each_wrong_combination_is_told_at_once(
    policy: Any, keywords: dict[str, Any], messages: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, policy, **keywords)
    assert [str(error) for error in caught.value.errors] == messages


def test_a_value_that_is_not_a_policy_is_named_with_its_field() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, ["https://app.example.com"])  # type: ignore[arg-type]
    [error] = caught.value.errors
    assert (error.field, error.value) == ("policy", ["https://app.example.com"])


def test_a_report_only_candidate_is_compared_never_explained(caplog: pytest.LogCaptureFixture) -> None:
    # Debug mode explains the policy in force; the candidate's answers only feed the report.
    candidate = CORSPolicy(allow_origins=["https://other.example.com"])
    middleware = CORSMiddleware(app, POLICY, report_only=candidate)
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        call_raw(middleware, "GET", "/api/data", {"HTTP_ORIGIN": APP})
        call_raw(
            middleware,
            "OPTIONS",
            "/api/data",
            {"HTTP_ORIGIN": APP, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"},
        )
    assert [r for r in caplog.records if r.levelno == logging.DEBUG] == []
    reports = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi.report"]
    assert reports  # the candidate would refuse both (one record: the same origin, rule and reason)


def test_a_guard_setting_that_is_wrong_judges_no_origin_as_trusted_or_not() -> None:
    # Which origins the guard may trust is judged only for a guard that is on: a wrong setting is told
    # alone, not with what a guard that is on would say of the origins.
    insecure = CORSPolicy(allow_origins=["http://app.example.com"])
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, insecure, csrf_protection="yes")
    assert [error.field for error in caught.value.errors] == ["csrf_protection"]
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, insecure, csrf_protection=True)
    [error] = caught.value.errors
    assert (error.field, error.value) == ("allow_origins", "http://app.example.com")
    assert "plain http:// with csrf_protection set" in str(error)


def test_an_on_decision_that_cannot_be_called_is_named_with_its_value() -> None:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, POLICY, on_decision="log")  # type: ignore[arg-type]
    [error] = caught.value.errors
    assert (error.field, error.value, str(error)) == (
        "on_decision",
        "log",
        "on_decision: 'log' is not callable",
    )
