"""What must hold for every request, checked by the fuzz targets (and by the test suite through them).

    from invariants import POLICIES, check_decision, fields_from_bytes
    flags, method, origin, acrm, acrh, pna, path = fields_from_bytes(data, "utf-8")
    for case in POLICIES:
        check_decision(case, method, origin, acrm, acrh, pna, decide(case.policy, method, origin, ...))

The oracles here are written from the Fetch standard and the CORS notes, not from the implementation:
a serialized origin is ``scheme://host[:port]`` in lower case; ``*.base`` covers subdomains of ``base`` at any
depth on the same scheme and port, never ``base``; refused requests get no ``Access-Control-Allow-*``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cors_wsgi import CORSPolicy
from cors_wsgi.decision import Decision

# Inputs are split on this byte; a flag bit per field turns it into None (header absent).
SEPARATOR = "\x1f"
FIELDS = ("method", "origin", "acrm", "acrh", "pna", "path")

# RFC 5890 2.3.1 LDH label: letters, digits, hyphens; no hyphen first or last; 1..63 long.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SERIALIZED = re.compile(
    rf"[a-z][a-z0-9+.-]*://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::[1-9][0-9]{{0,4}})?\Z"
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
PREFLIGHT_ONLY = {"access-control-allow-methods", "access-control-allow-headers", "access-control-max-age"}
PREFLIGHT_ONLY |= {"access-control-allow-private-network"}
VARY_TOKENS = {"origin", "access-control-request-method", "access-control-request-headers"}
VARY_TOKENS |= {"access-control-request-private-network"}


DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
# Above any real origin (a 253-character host); the implementation refuses longer values unread.
MAX_ORIGIN = 320


def is_serialized_origin(value: str) -> bool:
    """Shape of what a browser sends: lower case, no path, no userinfo, no default port, port 1..65535."""
    if len(value) > MAX_ORIGIN or not _SERIALIZED.match(value):
        return False
    scheme, host, port = _split(value)
    if port and (int(port) > 65535 or DEFAULT_PORTS.get(scheme) == port):
        return False
    return len(host) <= 253


def _split(origin: str) -> tuple[str, str, str]:
    scheme, _, hostport = origin.partition("://")
    if hostport.startswith("["):
        end = hostport.find("]")
        return scheme, hostport[: end + 1], hostport[end + 2 :]
    host, _, port = hostport.partition(":")
    return scheme, host, port


def wildcard_allows(pattern: str, origin: str) -> bool:
    """``scheme://*.base[:port]`` against a serialized origin (the notes: any depth, never the apex)."""
    p_scheme, p_host, p_port = _split(pattern)
    scheme, host, port = _split(origin)
    base = p_host[2:]
    return scheme == p_scheme and port == p_port and host.endswith("." + base)


@dataclass(frozen=True)
class PolicyCase:
    name: str
    policy: CORSPolicy
    # None: the oracle cannot say on its own (e.g. a user function); otherwise whether the origin is allowed.
    allows: Callable[[str], bool]


def _list_oracle(members: Iterable[str]) -> Callable[[str], bool]:
    exact = {m for m in members if "*" not in m}
    wildcards = [m for m in members if "*" in m]

    def allows(origin: str) -> bool:
        if origin in exact:
            return True
        return is_serialized_origin(origin) and any(wildcard_allows(w, origin) for w in wildcards)

    return allows


_LIST = ["https://app.example.com", "https://*.example.com", "http://localhost:3000", "https://*.a.test:8443"]
_SUFFIX = ["https://foo.com", "https://bar.com", "null"]
_REGEX = r"https://[a-z0-9-]+\.example\.org(:[0-9]+)?"


def _func(origin: str, environ: Mapping[str, Any]) -> bool:
    return origin.endswith(".test")


POLICIES: tuple[PolicyCase, ...] = (
    PolicyCase(
        "list+wildcards, credentials",
        CORSPolicy(
            allow_origins=_LIST,
            allow_methods=["GET", "PUT", "patch"],
            allow_headers=["content-type", "x-token"],
            expose_headers=["x-request-id"],
            allow_credentials=True,
            max_age=7200,
        ),
        _list_oracle(_LIST),
    ),
    PolicyCase(
        "star, any method, any header",
        CORSPolicy(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]),
        lambda origin: True,
    ),
    PolicyCase(
        "suffix-sharing members + null, private network",
        CORSPolicy(allow_origins=_SUFFIX, allow_methods=["GET"], allow_private_network=True, max_age=None),
        _list_oracle(_SUFFIX),
    ),
    PolicyCase(
        "regex, credentials, header star",
        CORSPolicy(
            allow_origin_regex=_REGEX,
            allow_methods=["GET", "DELETE"],
            allow_headers=["*", "authorization"],
            allow_credentials=True,
        ),
        lambda origin: is_serialized_origin(origin) and re.fullmatch(_REGEX, origin) is not None,
    ),
    PolicyCase(
        "function",
        CORSPolicy(allow_origin_func=_func, allow_methods=["*"]),
        lambda origin: is_serialized_origin(origin) and origin.endswith(".test"),
    ),
)


def fields_from_bytes(
    data: bytes, encoding: str
) -> tuple[int, str, str | None, str | None, str | None, str | None, str]:
    """(flags, method, origin, acrm, acrh, pna, path) from one fuzzer input.

    Byte 0 holds flags: bit i set means field i is absent (None); the rest is text split on 0x1f.
    """
    flags, body = (data[0], data[1:]) if data else (0, b"")
    parts: list[str | None] = list(body.decode(encoding, "replace").split(SEPARATOR))
    parts += [None] * (len(FIELDS) - len(parts))
    method, origin, acrm, acrh, pna, path = (
        None if flags & (1 << i) else parts[i] for i in range(len(FIELDS))
    )
    return flags, method or "GET", origin, acrm, acrh, pna, path or "/"


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(value: str) -> str:
    """Lower-case A-Z only, as HTTP does for header names (``str.lower`` also folds non-ASCII)."""
    return value.translate(_ASCII_LOWER)


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name]


def check_wire(headers: Iterable[tuple[str, str]]) -> None:
    """Every header is a str pair a server can write: token name, latin-1 value, no CR/LF/NUL."""
    for name, value in headers:
        assert isinstance(name, str), name
        assert isinstance(value, str), (name, value)
        assert _TOKEN.match(name), name
        assert not any(c in value for c in "\r\n\x00"), (name, value)
        value.encode("latin-1")


def check_decision(
    case: PolicyCase,
    method: str,
    origin: str | None,
    acrm: str | None,
    acrh: str | None,
    pna: str | None,
    d: Decision,
    explain: bool = False,
) -> None:
    policy = case.policy
    preflight = method == "OPTIONS" and origin is not None and acrm is not None
    assert d.kind == ("preflight" if preflight else "actual"), d
    check_wire(d.headers)
    names = [k.lower() for k, _ in d.headers]
    assert len(names) == len(set(names)), f"duplicated header: {d.headers}"
    acao = header_values(d.headers, "access-control-allow-origin")
    # Debug mode only: a preflight refused for its method or headers alone grants the origin but not the
    # method or header at fault, so the browser names it (an ok status, yet still a refusal).
    partial = explain and preflight and not d.allowed and d.status == 204
    if partial:
        codes = {r.code for r in d.refusals}
        assert codes, d
        assert codes <= {"method-not-allowed", "headers-not-allowed"}, d
        assert d.body == b"", d
        assert "access-control-max-age" not in names, d
        for value in header_values(d.headers, "access-control-allow-methods"):
            assert "method-not-allowed" not in codes or acrm not in [m.strip() for m in value.split(",")]
        refused = {n for r in d.refusals if r.code == "headers-not-allowed" for n in r.detail}
        for value in header_values(d.headers, "access-control-allow-headers"):
            assert not refused & {n.strip() for n in value.split(",")}, (value, refused)

    if preflight:
        assert d.status == (204 if d.allowed or partial else 403), d
    else:
        assert d.status is None, d
        assert not PREFLIGHT_ONLY & set(names), d.headers

    if not d.allowed:
        if not partial:
            assert not [n for n in names if n.startswith("access-control-allow-")], d.headers
        assert "access-control-expose-headers" not in names
        if origin is not None:
            assert d.refusals, "a refusal names its reasons"
    else:
        assert d.refusals == ()

    for value in acao:
        assert value == "*" or value == origin, (value, origin)
        if value == "*":
            assert policy.allow_origins == ("*",)
            assert not policy.allow_credentials
        else:
            assert value == "null" or is_serialized_origin(value), f"reflected a non-origin: {value!r}"
            assert case.allows(value), f"reflected an origin the policy does not allow: {value!r}"
    if origin is not None and policy.allow_origins != ("*",):
        origin_ok = case.allows(origin)
        if not origin_ok:
            assert acao == [], (origin, acao)
        elif not preflight:
            assert acao == [origin], f"allowed origin {origin!r} not reflected byte for byte: {acao}"

    for value in header_values(d.headers, "access-control-allow-credentials"):
        assert value == "true"
        assert policy.allow_credentials
        assert acao != ["*"], "Fetch: credentials never go with ACAO *"
    for value in header_values(d.headers, "access-control-max-age"):
        assert value.isdigit()
    for value in header_values(d.headers, "access-control-allow-private-network"):
        assert value == "true"
        assert pna == "true", "CVE-2024-6221: Allow-Private-Network only when asked"
        assert policy.allow_private_network, "CVE-2024-6221: Allow-Private-Network only when enabled"
        assert preflight
    for value in header_values(d.headers, "access-control-allow-headers"):
        listed = [n.strip() for n in value.split(",")]
        assert all(_TOKEN.match(n) for n in listed), value
        # only names that were asked for (ASCII case-insensitively: Unicode folding would turn U+212A
        # KELVIN SIGN into "k") or that the policy lists
        asked = {ascii_lower(n.strip(" \t")) for n in (acrh or "").split(",")}
        for name in listed:
            assert ascii_lower(name) in asked | set(policy.allow_headers), (name, acrh)
        # never amplified: at most what was asked for (", " for ","), or the policy's own list
        assert len(value) <= 2 * len(acrh or "") + sum(len(h) + 2 for h in policy.allow_headers), value
        if "authorization" in (n.lower() for n in listed):
            assert "authorization" in policy.allow_headers, "Fetch: * never covers Authorization"
    for value in header_values(d.headers, "access-control-allow-methods"):
        listed = [m.strip() for m in value.split(",")]
        assert all(_TOKEN.match(m) for m in listed), value
        if preflight and acrm is not None and policy.allow_methods != ("*",):
            # Fetch compares methods case-sensitively: only a listed method is granted
            assert acrm in policy.allow_methods, (acrm, value)
    for token in d.vary:
        assert token.lower() in VARY_TOKENS, d.vary
    if origin is not None and policy.allow_origins != ("*",):
        assert "origin" in (t.lower() for t in d.vary), "a reflected answer must vary on Origin"


def check_response(
    case: PolicyCase | None,
    method: str,
    origin: str | None,
    acrm: str | None,
    status: str,
    headers: list[tuple[str, str]],
    app_called: bool,
    app_cors_value: str,
) -> None:
    """What the WSGI middleware sends, for one request, when ``case`` (None: no rule) covers its path."""
    assert status[:3] in ("200", "204", "403"), status
    check_wire(headers)
    names = [k.lower() for k, _ in headers]
    acao = header_values(headers, "access-control-allow-origin")
    assert len(acao) <= 1, f"two ACAO headers: {headers}"
    if case is None:
        assert app_called, "a path no rule covers goes to the application untouched"
        return
    preflight = method == "OPTIONS" and origin is not None and acrm is not None
    assert app_called is not preflight, "a preflight is answered by the middleware, never by the app"
    assert app_cors_value not in acao, "the application's own ACAO leaked through"
    for value in acao:
        assert value == "*" or (value == origin and case.allows(value)), (value, origin)
    if status.startswith("403"):
        assert preflight
        assert not [n for n in names if n.startswith("access-control-allow-")], headers
    vary = [t.strip().lower() for v in header_values(headers, "vary") for t in v.split(",")]
    assert len(vary) == len(set(vary)), f"duplicated Vary token: {vary}"
    if not preflight:
        assert "accept-encoding" in vary, "the application's Vary was replaced instead of merged"
    if case.policy.allow_origins != ("*",):
        assert "origin" in vary, "an answer that depends on Origin must say so to caches"


def run_fuzzer(test_one_input: Callable[[bytes], None], name: str) -> None:
    """atheris over ``test_one_input``, with fuzz/corpus/NAME and fuzz/seeds/NAME unless paths are given."""
    import atheris  # type: ignore[import-untyped, import-not-found, unused-ignore]  # only the fuzz run needs it

    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        here = os.path.dirname(os.path.abspath(__file__))
        corpus = os.path.join(here, "corpus", name)
        os.makedirs(corpus, exist_ok=True)
        args += [corpus, os.path.join(here, "seeds", name)]
    atheris.instrument_all()
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
