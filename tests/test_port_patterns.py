"""Port patterns for development servers: ``http://localhost:*`` and ``scheme://*.domain:*`` (issue #11)."""

from __future__ import annotations

import pytest

from cors_wsgi import ConfigError, CORSPolicy
from cors_wsgi.decision import decide
from cors_wsgi.lint import lint_mapping


def allowed(origins: list[str], origin: str) -> bool:
    decision = decide(CORSPolicy(allow_origins=origins, allow_credentials=True), "GET", origin)
    return decision.allowed and dict(decision.headers).get("Access-Control-Allow-Origin") == origin


@pytest.mark.parametrize(
    ("pattern", "origin", "expected"),
    [
        ("http://localhost:*", "http://localhost:5173", True),  # Vite
        ("http://localhost:*", "http://localhost:6006", True),  # Storybook
        ("http://localhost:*", "http://localhost", True),  # the default port is a port too
        ("http://localhost:*", "http://localhost:65535", True),
        ("http://localhost:*", "https://localhost:3000", False),  # that exact scheme
        ("http://localhost:*", "http://localhost.evil.com:3000", False),  # that exact host
        ("http://localhost:*", "http://a.localhost:3000", False),
        ("http://localhost:*", "http://localhost:", False),  # not a serialized origin
        ("http://localhost:*", "http://localhost:80", False),  # browsers never send the default port
        ("http://localhost:*", "http://localhost:03000", False),
        ("http://localhost:*", "http://localhost:65536", False),
        ("http://localhost:*", "http://localhost:3000/", False),
        ("http://127.0.0.1:*", "http://127.0.0.1:8080", True),
        ("http://[::1]:*", "http://[::1]:8080", True),
        ("http://[::1]:*", "http://[::2]:8080", False),
        ("https://*.example.com:*", "https://a.example.com:8443", True),
        ("https://*.example.com:*", "https://a.b.example.com", True),
        ("https://*.example.com:*", "https://example.com:8443", False),  # never the apex
        ("https://*.example.com:*", "https://a.example.com:443", False),
        ("https://*.example.com:*", "https://a.example.com:", False),
        ("https://*.example.com:*", "http://a.example.com:8080", False),
    ],
)
def test_port_patterns(pattern: str, origin: str, expected: bool) -> None:
    assert allowed([pattern], origin) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "http://localhost:3*",  # only a whole port may be '*'
        "http://localhost:*0",
        "http://localhost:3000:*",  # a port and ':*'
        "http://*:3000",
        "http://local*host:3000",
        "*://localhost:3000",
        "http://*.com:*",  # a public suffix, any port
        "http://*.127.0.0.1:*",
    ],
)
def test_malformed_port_patterns_are_config_errors(pattern: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CORSPolicy(allow_origins=[pattern])
    assert caught.value.errors[0].field == "allow_origins"
    assert pattern in str(caught.value)


def test_plain_http_port_pattern_on_a_public_host_needs_tolerating_with_credentials() -> None:
    with pytest.raises(ConfigError, match="tolerate_insecure_origins"):
        CORSPolicy(allow_origins=["http://dev.example.com:*"], allow_credentials=True)
    CORSPolicy(allow_origins=["http://localhost:*"], allow_credentials=True)  # loopback: trustworthy


def test_lint_warns_on_port_patterns_for_hosts_that_are_not_loopback() -> None:
    def codes(origins: list[str]) -> list[str]:
        findings = lint_mapping({"rule": [{"path": "/*", "allow_origins": origins}]})
        return [f.code for f in findings if f.code == "port-wildcard-public-host"]

    assert codes(["https://staging.example.com:*"]) == ["port-wildcard-public-host"]
    assert codes(["https://*.example.com:*"]) == ["port-wildcard-public-host"]
    assert codes(["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]) == []
