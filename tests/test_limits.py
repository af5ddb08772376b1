"""Every limit at its boundary: the value at the limit passes, one more is refused (and how).

Origin length, the Access-Control-Request-Headers list's length and element count, the method's length,
ports and host labels, and the Max-Age caps lint warns about.
"""

from __future__ import annotations

from typing import Any

import pytest

from cors_wsgi import CORSPolicy, decide
from cors_wsgi.decision import parse_request_headers
from cors_wsgi.grammar import (
    MAX_AGE_CAPS,
    MAX_METHOD_LENGTH,
    MAX_ORIGIN_LENGTH,
    MAX_REQUEST_HEADER_NAMES,
    MAX_REQUEST_HEADERS_LENGTH,
    is_hostname,
    parse_serialized_origin,
)
from cors_wsgi.lint import lint_mapping

LOCAL = "http://localhost:3000"
HOST_253 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # the longest host name


def long_origin(length: int) -> tuple[str, str]:
    """(scheme, origin) of exactly ``length`` characters: a long scheme, the longest host, the top port."""
    scheme = "s" * (length - len(f"://{HOST_253}:65535"))
    return scheme, f"{scheme}://{HOST_253}:65535"


def test_the_limits_are_what_the_docs_say() -> None:
    assert (MAX_ORIGIN_LENGTH, MAX_REQUEST_HEADERS_LENGTH, MAX_REQUEST_HEADER_NAMES, MAX_METHOD_LENGTH) == (
        320,
        4096,
        100,
        64,
    )
    assert MAX_AGE_CAPS == {"chromium": 7200, "firefox": 86400, "webkit": 600}
    assert len(HOST_253) == 253


def test_an_origin_of_the_limit_parses_and_one_more_character_does_not() -> None:
    scheme, origin = long_origin(MAX_ORIGIN_LENGTH)
    assert len(origin) == MAX_ORIGIN_LENGTH
    assert parse_serialized_origin(origin) == (scheme, HOST_253, "65535")
    _, longer = long_origin(MAX_ORIGIN_LENGTH + 1)
    assert parse_serialized_origin(longer) is None


def test_the_origin_limit_holds_for_every_way_of_allowing_one() -> None:
    seen: list[str] = []

    def func(origin: str, environ: Any) -> bool:
        seen.append(origin)
        return True

    for length, allowed in ((MAX_ORIGIN_LENGTH, True), (MAX_ORIGIN_LENGTH + 1, False)):
        scheme, origin = long_origin(length)
        base = HOST_253.split(".", 1)[1]
        policies = [
            CORSPolicy(allow_origins=[f"{scheme}://*.{base}:65535"]),  # a wildcard
            CORSPolicy(allow_origins=[f"{scheme}://{HOST_253}:*"]),  # any port
            CORSPolicy(allow_origin_regex=f"{scheme}://[a-d.]+:65535"),
            CORSPolicy(allow_origin_func=func),
        ]
        for policy in policies:
            assert decide(policy, "GET", origin).allowed is allowed, (length, policy)
    assert seen == [long_origin(MAX_ORIGIN_LENGTH)[1]]  # the function never saw the longer one


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        (HOST_253, True),
        (HOST_253 + "e", False),  # 254 characters
        ("a" * 63 + ".example.com", True),
        ("a" * 64 + ".example.com", False),
        ("example." + "a" * 63, True),  # the last label counts too
        ("example." + "a" * 64, False),
        ("a" * 63, True),
        ("a" * 64, False),
    ],
)
def test_host_names_and_their_labels_at_the_limits(host: str, valid: bool) -> None:
    assert is_hostname(host) is valid
    assert (parse_serialized_origin(f"https://{host}") is not None) is valid


@pytest.mark.parametrize(("port", "valid"), [("65535", True), ("65536", False), ("1", True), ("0", False)])
def test_ports_at_the_limits(port: str, valid: bool) -> None:
    assert (parse_serialized_origin(f"https://a.test:{port}") is not None) is valid


def _names_list(length: int, count: int) -> str:
    """A list of ``count`` distinct token names, ``length`` characters in all."""
    width = (length - (count - 1)) // count
    names = [f"x{i:03d}".ljust(width, "a") for i in range(count)]
    names[-1] = names[-1].ljust(length - (count - 1) - width * (count - 1), "a")
    value = ",".join(names)
    assert len(value) == length
    return value


def test_a_header_list_of_the_limit_is_read_and_one_more_character_is_refused() -> None:
    value = _names_list(MAX_REQUEST_HEADERS_LENGTH, 40)
    assert parse_request_headers(value) == tuple(value.split(","))
    assert parse_request_headers(value + "a") is None
    star = CORSPolicy(allow_origins=[LOCAL], allow_headers=["*"])
    assert decide(star, "OPTIONS", LOCAL, "GET", value).allowed
    refused = decide(star, "OPTIONS", LOCAL, "GET", value + "a")
    assert [(r.code, r.value) for r in refused.refusals] == [("headers-invalid", value + "a")]


@pytest.mark.parametrize("spaced", [False, True])
def test_a_header_list_of_the_most_names_is_read_and_one_more_is_refused(spaced: bool) -> None:
    names = [f"x-{i}" for i in range(MAX_REQUEST_HEADER_NAMES)]
    separator = ", " if spaced else ","
    assert parse_request_headers(separator.join(names)) == tuple(names)
    assert parse_request_headers(separator.join([*names, "x-a"])) is None
    # Repeated and empty elements count too: 101 elements, whatever they are.
    assert parse_request_headers(",".join(["x-a"] * (MAX_REQUEST_HEADER_NAMES + 1))) is None
    assert parse_request_headers(",".join(["x-a"] * MAX_REQUEST_HEADER_NAMES)) == ("x-a",)
    assert parse_request_headers("," * (MAX_REQUEST_HEADER_NAMES - 1)) == ()
    assert parse_request_headers("," * MAX_REQUEST_HEADER_NAMES) is None


def test_a_method_of_the_limit_is_allowed_under_star_and_one_more_character_is_refused() -> None:
    star = CORSPolicy(allow_origins=[LOCAL], allow_methods=["*"], allow_credentials=True)
    method = "M" * MAX_METHOD_LENGTH
    allowed = decide(star, "OPTIONS", LOCAL, method)
    assert ("Access-Control-Allow-Methods", method) in allowed.headers
    refused = decide(star, "OPTIONS", LOCAL, method + "M")
    assert [(r.code, r.value) for r in refused.refusals] == [("method-invalid", method + "M")]


@pytest.mark.parametrize(
    ("max_age", "warned", "firefox_named"),
    [
        (600, False, False),
        (7200, False, False),
        (7201, True, False),
        (86400, True, False),
        (86401, True, True),
    ],
)
def test_max_age_is_warned_about_past_each_browsers_cap(
    max_age: int, warned: bool, firefox_named: bool
) -> None:
    findings = [
        f
        for f in lint_mapping({"rule": [{"path": "/api/*", "allow_origins": [LOCAL], "max_age": max_age}]})
        if f.code == "max-age-over-browser-cap"
    ]
    assert bool(findings) is warned
    if warned:
        [finding] = findings
        assert (
            f"max_age: {max_age} s is beyond what browsers honour (Chromium caps it at 7200"
            in finding.message
        )
        assert ("Firefox at 86400" in finding.message) is firefox_named
    # The header says what was configured, capped or not: the browser applies its own cap.
    decision = decide(CORSPolicy(allow_origins=[LOCAL], max_age=max_age), "OPTIONS", LOCAL, "GET")
    assert ("Access-Control-Max-Age", str(max_age)) in decision.headers
