"""Configured origins and wildcard patterns: what each mistake's ConfigError says, and what is kept.

Every error names the field and the value as the user wrote it; a "did you mean" is a value that would be
accepted and means what the user meant.
"""

from __future__ import annotations

import pytest

from cors_wsgi import ConfigError, CORSPolicy
from cors_wsgi.origins import WildcardPattern, normalize_config_origin, parse_wildcard

SHAPES = (
    "is not a valid wildcard pattern: the forms are 'scheme://*.domain[:port]' (subdomains), "
    "'scheme://host:*' (any port) and 'scheme://*.domain:*'; only a whole label or a whole port may be '*' "
    "(use allow_origin_regex for anything else)"
)


def _error(value: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        CORSPolicy(allow_origins=[value])
    assert caught.value.errors == (caught.value,)
    assert caught.value.field == "allow_origins"
    assert caught.value.value == value
    return caught.value


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        # The host as a browser sends it (punycode, lower case), without the port or the path.
        ("https://Bücher.example/a:b", "has a non-ASCII host (browsers send the xn-- form)",
         "; did you mean 'xn--bcher-kva.example' for the host?"),
        ("https://bücher.example:8443", "has a non-ASCII host (browsers send the xn-- form)",
         "; did you mean 'xn--bcher-kva.example' for the host?"),
        # A host the IDNA codec cannot encode (a label longer than 63): no suggestion.
        ("https://" + "é" * 70 + ".example", "has a non-ASCII host (browsers send the xn-- form)", ""),
        ("https://example.com/é", "has non-ASCII characters (an Origin is ASCII)", ""),
        ("httpś://example.com", "has non-ASCII characters (an Origin is ASCII)", ""),
    ],
)  # fmt: skip
def test_a_non_ascii_origin_is_refused_with_the_host_browsers_send(
    value: str, message: str, hint: str
) -> None:
    error = _error(value)
    assert (error.message, error.hint) == (f"{value!r} {message}", hint)
    assert str(error) == f"allow_origins: {value!r} {message}{hint}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http*://*.example.com", SHAPES),
        ("https://*example.com", SHAPES),
        ("https://a.*.example.com", SHAPES),
        ("*.example.com", SHAPES),
        ("https://example.com:8443:*", "has a port and ':*': write one or the other"),
        ("https://*.[::1]", ": an IP address has no subdomains"),
        ("https://*.192.168.0.1", ": an IP address has no subdomains"),
        ("https://*.co.uk", "covers the whole public suffix 'co.uk': anyone can register a domain under it"),
    ],
)
def test_a_malformed_wildcard_pattern_is_refused_with_the_forms_there_are(value: str, message: str) -> None:
    error = _error(value)
    assert str(error) == f"allow_origins: {value!r}{'' if message.startswith(':') else ' '}{message}"
    assert error.hint == ""


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        # The suggestion keeps the wildcard: dropping it would allow the apex instead of its subdomains.
        ("https://*.example.com/", "has a path (an Origin never has one)", "https://*.example.com"),
        ("https://*.example.com/x://y", "has a path (an Origin never has one)", "https://*.example.com"),
        ("https://*.example.com?x", "has a query (an Origin never has one)", "https://*.example.com"),
        (" https://*.example.com", "has surrounding white space", "https://*.example.com"),
        (" https://example.com:*", "has surrounding white space", "https://example.com:*"),
        (" https://*.example.com:*", "has surrounding white space", "https://*.example.com:*"),
    ],
)
def test_a_wildcard_pattern_is_named_as_written_and_its_suggestion_keeps_the_wildcard(
    value: str, message: str, hint: str
) -> None:
    error = _error(value)
    assert error.message == f"{value!r} {message}"
    assert error.hint == f"; did you mean {hint!r}?"
    assert CORSPolicy(allow_origins=[hint]).allow_origins == (hint,)


def test_a_wildcard_with_a_non_ascii_host_names_the_pattern() -> None:
    error = _error("https://*.bücher.example")
    assert error.message == "'https://*.bücher.example' has a non-ASCII host (browsers send the xn-- form)"


def test_parse_wildcard_reports_the_field_it_is_given() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_wildcard("https://*.exa mple.com", "report_only.allow_origins")
    assert caught.value.field == "report_only.allow_origins"
    assert caught.value.value == "https://*.exa mple.com"


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("HTTPS://*.Example.com:443", WildcardPattern("https", "example.com", "", True)),
        ("https://*.example.com:8443", WildcardPattern("https", "example.com", "8443", True)),
        ("http://localhost:*", WildcardPattern("http", "localhost", "*", False)),
        ("http://[::1]:*", WildcardPattern("http", "[::1]", "*", False)),
        ("https://*.example.com:*", WildcardPattern("https", "example.com", "*", True)),
    ],
)
def test_a_wildcard_pattern_is_kept_in_one_spelling(value: str, pattern: WildcardPattern) -> None:
    parsed = parse_wildcard(value)
    assert tuple(parsed) == tuple(pattern)
    assert type(parsed.subdomains) is bool


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://[::1]]", "has text after the IPv6 address"),
        ("http://[::1]]:8080", "has text after the IPv6 address"),
        ("http://[::1", "has an unterminated IPv6 address"),
        ("http://[::g]", "has an invalid IPv6 address"),
        ("http://[::1]:99999", "has an invalid port '99999' (1-65535)"),
    ],
)
def test_an_ipv6_origin_mistake_is_named(value: str, message: str) -> None:
    assert _error(value).message == f"{value!r} {message}"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("http://[0:0::1]:8080", "http://[::1]:8080"),
        ("HTTP://[::1]:80", "http://[::1]"),
        ("https://[::1]", "https://[::1]"),
    ],
)
def test_an_ipv6_origin_is_kept_as_browsers_send_it(value: str, kept: str) -> None:
    assert CORSPolicy(allow_origins=[value]).allow_origins == (kept,)


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        # Without a scheme: http for the loopback names, https for the rest; never a trailing slash.
        ("127.0.0.1:8000", "has no scheme", "http://127.0.0.1:8000"),
        ("[::1]:3000", "has no scheme", "http://[::1]:3000"),
        ("localhost:3000/", "has no scheme", "http://localhost:3000"),
        ("app.example.com//", "has no scheme", "https://app.example.com"),
        ("APP.EXAMPLE.BOX", "has no scheme", "https://APP.EXAMPLE.BOX"),  # the host as written
        ("https://a.com?x", "has a query (an Origin never has one)", "https://a.com"),
        ("https://a.com#x", "has a fragment (an Origin never has one)", "https://a.com"),
        ("https://a.example.com://b", "has a path (an Origin never has one)", "https://a.example.com:"),
        ("https://a.com#x/y", "has a path (an Origin never has one)", "https://a.com"),
        (" https://a.com", "has surrounding white space", "https://a.com"),
        ("https://A.com:443\t", "has surrounding white space", "https://a.com"),
        ("1http://a.com", "has an invalid scheme '1http'", None),
        ("https://u@a.com", "has user information (an Origin never has any)", None),
        ("https://a.com:0", "has an invalid port '0' (1-65535)", None),
        ("https://a..com", "has an invalid host 'a..com'", None),
    ],
)
def test_an_origin_mistake_is_named_with_a_suggestion_where_there_is_one(
    value: str, message: str, hint: str | None
) -> None:
    error = _error(value)
    assert error.message == f"{value!r} {message}"
    assert error.hint == ("" if hint is None else f"; did you mean {hint!r}?")


@pytest.mark.parametrize("value", [3, None, b"https://a.com"])
def test_an_origin_that_is_no_string_is_named(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_config_origin(value, "allow_origins")
    assert (caught.value.field, caught.value.message, caught.value.value) == (
        "allow_origins",
        f"{value!r} is not a string",
        value,
    )
