"""The grammar every other module asks: serialized origins, the lenient split, ports, hosts, tokens.

The boundaries of the limits (origin length, ports, labels) are in test_limits.py.
"""

from __future__ import annotations

import pytest

from cors_wsgi.grammar import (
    Origin,
    OriginParts,
    is_insecure_origin,
    is_ipv6_literal,
    is_loopback_host,
    is_port_number,
    is_preflight,
    is_scheme,
    is_serialized_port,
    is_token,
    parse_serialized_origin,
    pattern_host,
    split_origin,
)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("http://[::1]", Origin("http", "[::1]", "")),  # an IPv6 origin on the default port
        ("https://[2001:db8::1]:8443", Origin("https", "[2001:db8::1]", "8443")),
        ("http://[]", None),  # no address between the brackets
        ("http://[]:80", None),
        ("http://[1::2::3]", None),  # IPv6 characters, but not an address
        ("http://[fe80::1%eth0]", None),  # a zone index: the address parses, browsers never send one
        ("http://[::A]", None),  # upper case is not the serialized form
        ("http://[::1]x", None),  # text after the address that is not a port
        ("http://[::1]]", None),
        ("http://[::1]:", None),
        ("http://[::1]:0", None),
        ("http://[::1]:80", None),  # the default port is never sent
        ("https://a.example.com://b", None),  # a second '://' is no origin either way it is split
    ],
)
def test_parse_serialized_origin_ipv6_and_odd_shapes(value: str, parsed: Origin | None) -> None:
    assert parse_serialized_origin(value) == parsed


def test_an_ipv6_literal_is_the_compressed_form_in_brackets() -> None:
    assert is_ipv6_literal("[::1]")
    assert is_ipv6_literal("[2001:db8::1]")
    for host in ("[]", "[:::]", "[1::2::3]", "[fe80::1%eth0]", "[0:0:0:0:0:0:0:1]", "[::FFFF]", "[g::1]"):
        assert not is_ipv6_literal(host), host


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("HTTPS://App.example.com:443/x", OriginParts("HTTPS", "App.example.com", "443", "/x")),
        ("https://X.example.com", OriginParts("https", "X.example.com", "", "")),  # 'X' is not a cut
        ("https://a.example.com/b/c", OriginParts("https", "a.example.com", "", "/b/c")),  # the first '/'
        ("https://a.example.com?q=/x#f", OriginParts("https", "a.example.com", "", "?q=/x#f")),
        ("https://a.example.com#f/x", OriginParts("https", "a.example.com", "", "#f/x")),
        ("file:///etc/hosts", OriginParts("file", "", "", "/etc/hosts")),  # a cut right after '://'
        (
            "https://a.example.com/x://y",
            OriginParts("https", "a.example.com", "", "/x://y"),
        ),  # the first '://'
        ("http://[::1]:8080/x", OriginParts("http", "[::1]", "8080", "/x")),
        ("http://[::1]", OriginParts("http", "[::1]", "", "")),
        ("http://[::1]]", OriginParts("http", "[::1]", "", "")),  # the address ends at the first ']'
        ("http://[::1", OriginParts("http", "[::1", "", "")),  # unterminated: all of it is the host
        ("localhost:3000", None),
        ("null", None),
    ],
)
def test_split_origin(value: str, parts: OriginParts | None) -> None:
    assert split_origin(value) == parts


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://*.example.com", "example.com"),
        ("https://app.example.com:8443", "app.example.com"),
        ("http://[::1]:3000", "[::1]"),
        ("*", ""),
        ("null", ""),
    ],
)
def test_pattern_host(origin: str, host: str) -> None:
    assert pattern_host(origin) == host


@pytest.mark.parametrize(
    ("port", "scheme", "serialized"),
    [
        ("1", "https", True),
        ("8443", "https", True),
        ("65535", "http", True),
        ("65536", "http", False),
        ("99999", "http", False),
        ("100000", "http", False),
        ("0", "http", False),
        ("08080", "http", False),  # a browser never sends a leading zero
        ("", "http", False),
        ("80", "http", False),  # the scheme's default port is left out
        ("443", "https", False),
        ("443", "http", True),
        ("80", "ws", False),
        ("443", "wss", False),
        ("80", "chrome-extension", True),  # no default port for other schemes
        ("8a", "http", False),
    ],
)
def test_is_serialized_port(port: str, scheme: str, serialized: bool) -> None:
    assert is_serialized_port(port, scheme) is serialized


@pytest.mark.parametrize(
    ("port", "valid"),
    [("1", True), ("080", True), ("00080", True), ("65535", True), ("000080", False), ("65536", False),
     ("0", False), ("00000", False), ("", False), ("-1", False), ("8 0", False)],
)  # fmt: skip
def test_a_configured_port_may_have_leading_zeros(port: str, valid: bool) -> None:
    assert is_port_number(port) is valid


def test_tokens_and_schemes() -> None:
    for value in ("x-token", "!#$%&'*+-.^_`|~", "A9"):
        assert is_token(value), value
    for value in ("", "x token", "x,y", "x:y", "é", "x\r"):
        assert not is_token(value), value
    for value in ("https", "chrome-extension", "a+b.c-1"):
        assert is_scheme(value), value
    for value in ("", "1http", "-a", "HTTPS", "ht tp", "h_t"):
        assert not is_scheme(value), value


@pytest.mark.parametrize(
    ("method", "origin", "acrm", "preflight"),
    [
        ("OPTIONS", "https://a.test", "GET", True),
        ("OPTIONS", "https://a.test", "", True),  # present, even empty
        ("OPTIONS", "", "GET", True),
        ("OPTIONS", None, "GET", False),
        ("OPTIONS", "https://a.test", None, False),
        ("GET", "https://a.test", "GET", False),
        ("options", "https://a.test", "GET", False),  # methods are case-sensitive
    ],
)
def test_is_preflight_is_fetchs_definition(
    method: str, origin: str | None, acrm: str | None, preflight: bool
) -> None:
    assert is_preflight(method, origin, acrm) is preflight


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("::1", True),
        ("localhost.example.com", False),
        ("mylocalhost", False),
        ("128.0.0.1", False),
        ("[::2]", False),
        ("[[::1]]", False),  # one pair of brackets, not any number
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("origin", "insecure"),
    [
        ("http://app.example.com", True),
        ("HTTP://App.Example.com", True),
        ("http://*.example.com", True),
        ("http://localhost:3000", False),
        ("http://*.localhost", False),
        ("http://127.0.0.1:5000", False),
        ("http://[::1]:5000", False),
        ("https://app.example.com", False),
        ("null", False),
    ],
)
def test_is_insecure_origin(origin: str, insecure: bool) -> None:
    assert is_insecure_origin(origin) is insecure
