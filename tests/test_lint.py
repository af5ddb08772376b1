"""cors_wsgi.lint: every error the loader raises, and the risky-but-legal choices, with rule and path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cors_wsgi import ConfigError, load_config
from cors_wsgi.config import read_toml
from cors_wsgi.lint import Finding, LintUsageError, exit_status, lint_file, lint_mapping, render_findings

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "demo_app" / "cors.toml"
LOCAL = "http://localhost:3000"


def rule(**fields: Any) -> dict[str, Any]:
    return {"path": "/api/*", **fields}


def codes(findings: list[Finding], severity: str = "warning") -> list[str]:
    return [f.code for f in findings if f.severity == severity]


# A file that says the cross-origin write guard is off (the application guards itself): lint then has no
# guard to suggest for credentialed rules (#20), and these tests see the findings they are about.
GUARD_OFF = {"middleware": {"csrf_protection": False}}


def test_the_demo_config_is_clean() -> None:
    # Its credentialed rule gets the guard suggested (#20) until its [middleware] says csrf_protection.
    middleware = read_toml(DEMO_CONFIG).get("middleware", {})
    expected = [] if "csrf_protection" in middleware else ["credentials-without-csrf-protection"]
    assert [f.code for f in lint_file(DEMO_CONFIG)] == expected


WARNINGS = [
    # (id, rule fields, expected warning code, text in the message)
    (
        "http origin with credentials",
        {
            "allow_origins": ["http://app.example.com"],
            "allow_credentials": True,
            "tolerate_insecure_origins": True,
        },
        "http-origin-with-credentials",
        "'http://app.example.com' is plain http://",
    ),
    (
        "http wildcard with credentials",
        {
            "allow_origins": ["http://*.example.com"],
            "allow_credentials": True,
            "tolerate_insecure_origins": True,
        },
        "http-origin-with-credentials",
        "plain http://",
    ),
    (
        # Without tolerate_insecure_origins this is an error (test_what_construction_refuses_...).
        "regex admitting http with credentials",
        {
            "allow_origin_regex": r"https?://app\.example\.com",
            "allow_credentials": True,
            "tolerate_insecure_origins": True,
        },
        "regex-http-with-credentials",
        "admits plain http:// origins such as 'http://app.example.com'",
    ),
    (
        "unescaped dot",
        {"allow_origin_regex": "https://app.example.com"},
        "regex-unescaped-dot",
        "unescaped '.'",
    ),
    (
        "wildcard over a registrable domain",
        {"allow_origins": ["https://*.example.com"]},
        "wildcard-registrable-domain",
        "covers every subdomain of example.com",
    ),
    (
        "wildcard over shared hosting",
        {"allow_origins": ["https://*.amazonaws.com"]},
        "wildcard-registrable-domain",
        "amazonaws.com",
    ),
    ("null origin", {"allow_origins": ["null"]}, "null-origin", "sandboxed iframes"),
    (
        "max_age over Chromium's cap",
        {"allow_origins": [LOCAL], "max_age": 7201},
        "max-age-over-browser-cap",
        "7200",
    ),
    (
        "max_age over Firefox's cap",
        {"allow_origins": [LOCAL], "max_age": 86401},
        "max-age-over-browser-cap",
        "Firefox at 86400",
    ),
    (
        "private network with star",
        {"allow_origins": ["*"], "allow_private_network": True},
        "private-network-wildcard",
        "with '*'",
    ),
    (
        "private network with a pattern",
        {"allow_origins": ["https://*.app.example.com"], "allow_private_network": True},
        "private-network-wildcard",
        "a wildcard pattern",
    ),
    (
        "private network with a regex",
        {"allow_origin_regex": r"https://[a-z]+\.example\.com", "allow_private_network": True},
        "private-network-wildcard",
        "allow_origin_regex",
    ),
]


@pytest.mark.parametrize(("fields", "code", "text"), [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS])
def test_risky_choices_are_warnings(fields: dict[str, Any], code: str, text: str) -> None:
    findings = lint_mapping({"rule": [rule(**fields)]})
    assert code in codes(findings)
    [finding] = [f for f in findings if f.code == code]
    assert text in finding.message
    assert finding.location == "rule[0] /api/*"
    assert not codes(findings, "error")
    assert exit_status(findings) == 0
    assert exit_status(findings, strict=True) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"allow_origins": [LOCAL], "allow_credentials": True},  # localhost over http is fine
        {"allow_origins": ["http://127.0.0.1:8080", "http://[::1]:3000"], "allow_credentials": True},
        {"allow_origins": ["http://app.example.com"]},  # http without credentials: nothing to steal
        {"allow_origin_regex": r"https://pr-[0-9]+\.preview\.example\.com"},
        {"allow_origin_regex": r"https://[.a-z]+\.example\.com"},  # '.' inside a class is literal
        {"allow_origin_regex": r"https://(app|admin)+\.example\.com"},  # a repeated group, nothing nested
        {"allow_origin_regex": r"https://([+*])\.example\.com"},  # quantifier characters in a class
        {"allow_origins": ["https://*.apps.example.com"]},  # narrower than the registrable domain
        {"allow_origins": [LOCAL], "max_age": 7200},
        {"allow_origins": [LOCAL], "allow_private_network": True},
    ],
)
def test_sound_choices_are_not_flagged(fields: dict[str, Any]) -> None:
    assert lint_mapping({**GUARD_OFF, "rule": [rule(**fields)]}) == []


def test_every_error_is_reported_not_only_the_first() -> None:
    findings = lint_mapping(
        {
            "rule": [
                rule(
                    allow_origins=["http://localhost:3000/", "https://ok.example.org"],
                    allow_methods=["GET", "B AD"],
                    alow_headers=["x"],
                    max_age=-1,
                )
            ]
        }
    )
    errors = [f.message for f in findings if f.severity == "error"]
    assert any("did you mean 'http://localhost:3000'" in m for m in errors)
    assert any("'B AD' is not a valid HTTP method name" in m for m in errors)
    assert any("did you mean 'allow_headers'" in m for m in errors)
    assert any(m.startswith("max_age:") for m in errors)
    assert all(f.location == "rule[0] /api/*" for f in findings)
    assert exit_status(findings) == 1


def test_errors_match_what_the_loader_refuses(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text('[[rule]]\npath = "/api/*"\nallow_origins = ["*"]\nallow_credentials = true\n')
    with pytest.raises(ConfigError) as refused:
        load_config(config, environ={})
    [finding] = lint_file(config)
    assert finding.severity == "error"
    assert finding.message in str(refused.value)
    assert "'*' together with allow_credentials" in finding.message


def test_the_rest_of_a_broken_rule_is_still_linted() -> None:
    findings = lint_mapping(
        {
            **GUARD_OFF,
            "rule": [
                rule(
                    allow_origins=["http://app.example.com", "bad origin"],
                    allow_credentials=True,
                    tolerate_insecure_origins=True,
                )
            ],
        }
    )
    assert codes(findings, "error") == ["config-error"]
    assert codes(findings) == ["http-origin-with-credentials"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "no [[rule]] tables"),
        ({"rule": {"path": "/x"}}, "write [[rule]], not [rule]"),
        ({"rules": [rule(allow_origins=[LOCAL])]}, "did you mean 'rule'"),
        ({"rule": [{"allow_origins": [LOCAL]}]}, "path: missing"),
        ({"rule": [{"path": "api/*", "allow_origins": [LOCAL]}]}, "must be a string starting with '/'"),
    ],
)
def test_file_and_rule_shape_errors(data: dict[str, Any], message: str) -> None:
    findings = lint_mapping(data)
    assert any(f.severity == "error" and message in f.message for f in findings), findings


def test_rule_order_problems() -> None:
    findings = lint_mapping(
        {
            "rule": [
                {"path": "/*", "allow_origins": ["*"]},
                rule(allow_origins=[LOCAL], allow_credentials=True),
            ]
        }
    )
    by_rule = {(f.rule, f.code) for f in findings}
    assert (0, "wildcard-origin-everywhere") in by_rule
    assert (1, "shadowed-rule") in by_rule
    # '*' on a part of a credentialed rule's paths, placed before it, is the intended order (#21: this
    # used to warn "check the order"); '*' on paths partly outside it warns (test_lint_findings.py).
    star_before_cookies = lint_mapping(
        {
            **GUARD_OFF,
            "rule": [
                {"path": "/api/public/*", "allow_origins": ["*"]},
                rule(allow_origins=[LOCAL], allow_credentials=True),
            ],
        }
    )
    assert codes(star_before_cookies) == []
    # The same two rules the other way round: the credentialed rule wins everywhere it matches.
    reversed_order = lint_mapping(
        {
            **GUARD_OFF,
            "rule": [
                rule(allow_origins=[LOCAL], allow_credentials=True),
                {"path": "/api/public/*", "allow_origins": ["*"]},
            ],
        }
    )
    assert codes(reversed_order) == ["shadowed-rule"]


def test_environment_override_only_when_asked(tmp_path: Path) -> None:
    data = {**GUARD_OFF, "rule": [rule(allow_origins=[LOCAL], allow_credentials=True)]}
    assert lint_mapping(data) == []
    from_env = lint_mapping(data, environ={"CORS_ALLOW_ORIGINS": "http://staging.example.com"})
    [error] = [f for f in from_env if f.severity == "error"]
    assert "'http://staging.example.com' is plain http://" in error.message
    assert "came from the environment variable CORS_ALLOW_ORIGINS" in error.message


def test_unreadable_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(LintUsageError, match="cannot read"):
        lint_file(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rule]\npath = '/x'\n")
    [finding] = lint_file(broken)
    assert finding.severity == "error"
    assert finding.location == "file"
    assert "not valid TOML" in finding.message


def test_rendering() -> None:
    findings = lint_mapping({"rule": [rule(allow_origins=["null"], max_age=-5)]})
    text = render_findings("cors.toml", findings)
    assert text.splitlines()[0].startswith("rule[0] /api/*: error: max_age:")
    assert "rule[0] /api/*: warning: allow_origins: 'null'" in text
    assert text.endswith("cors.toml: 1 error, 1 warning")
    assert findings[0].to_dict()["severity"] == "error"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"allow_origin_regex": r"https://(a+)+\.example\.com"}, "a repeat inside a repeated group"),
        ({"allow_origin_regex": r"https://(a|a)+\.example\.com"}, "alternatives overlap"),
        ({"allow_origin_regex": ".*", "allow_credentials": True}, "that is '*' with credentials"),
        (
            {"allow_origins": ["http://app.example.com"], "allow_credentials": True},
            "tolerate_insecure_origins",
        ),
    ],
    ids=["nested-repeat", "overlapping-alternatives", "reflect-all-regex", "insecure-origin"],
)
def test_what_construction_refuses_lint_reports_as_errors(fields: dict[str, Any], text: str) -> None:
    findings = lint_mapping({"rule": [rule(**fields)]})
    assert any(f.severity == "error" and text in f.message for f in findings), findings
    assert exit_status(findings) == 1
