"""Property-based tests (hypothesis) for origin matching, reflection and parsing cost.

Properties, each over generated hosts, patterns and header values:
1. ``scheme://*.base[:port]`` accepts exactly the proper LDH subdomains of ``base`` on that scheme and port.
2. An origin holding any character outside a serialized origin is never reflected, whatever the policy.
3. An allowed origin is reflected byte for byte (preflight and actual, decide() and the middleware).
4. A refused origin never gets an ``Access-Control-Allow-*`` header.
5. Parsing cost of ACRH and Origin grows linearly: counted in Python line events, calls (Python and C)
   and peak allocation (tracemalloc) at sizes n and 4n, never in wall time. The meter sees Python-level
   loops and held memory (the rs/cors and hono failures); work hidden inside one C call is not counted.
6. The middleware never answers 5xx and never writes CR/LF/NUL into a header, for any environ.
"""

from __future__ import annotations

import string
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from raw_wsgi import call_raw

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy
from cors_wsgi.decision import Decision, decide
from cors_wsgi.refusals import Refusal

# --------------------------------------------------------------------------------------------------------
# oracles (written from RFC 1035 / URL standard, independent of the implementation)

LDH = string.ascii_lowercase + string.digits + "-"
SERIALIZED_ORIGIN_CHARS = frozenset(string.ascii_lowercase + string.digits + "-.:/[]")


def is_ldh_label(label: str) -> bool:
    """RFC 1035/5890 LDH label as a browser serializes it: lower case, 1..63, no edge hyphen."""
    return (
        0 < len(label) <= 63
        and all(c in LDH for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
    )


def is_proper_subdomain(host: str, base: str) -> bool:
    if not host.endswith("." + base):
        return False
    prefix = host[: -len(base) - 1]
    return all(is_ldh_label(label) for label in prefix.split("."))


def preflight(policy: CORSPolicy, origin: str | None, acrh: str | None = None) -> Decision:
    return decide(
        policy,
        method="OPTIONS",
        origin=origin,
        request_method="GET",
        request_headers=acrh,
        request_private_network=None,
    )


def actual(policy: CORSPolicy, origin: str | None) -> Decision:
    return decide(
        policy,
        method="GET",
        origin=origin,
        request_method=None,
        request_headers=None,
        request_private_network=None,
    )


def acao(d: Decision) -> list[str]:
    return [v for k, v in d.headers if k.lower() == "access-control-allow-origin"]


def allow_star_headers(headers: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower().startswith("access-control-allow-")]


# --------------------------------------------------------------------------------------------------------
# strategies

ldh_label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?\Z")
tld = st.sampled_from(["com", "net", "org", "io", "dev", "example"])
base_domain = st.builds(lambda a, b: f"{a}.{b}", ldh_label, tld)
scheme = st.sampled_from(["http", "https"])
port = st.sampled_from([None, 3000, 8443])
# labels an attacker would try: LDH and near-LDH (edge hyphens, underscore, upper case, specials, empty)
hostile_label = st.one_of(
    ldh_label,
    st.text(alphabet=LDH + "_A-Z`%.*@", min_size=0, max_size=12),
    st.sampled_from(["", "-a", "a-", "A", "a_b", "xn--a", "*", "%60", "`"]),
)


def origin_of(s: str, host: str, p: int | None) -> str:
    return f"{s}://{host}" + (f":{p}" if p is not None else "")


@contextmanager
def no_config_error() -> Iterator[None]:
    """Generated bases may land on a public suffix (e.g. a PSL private entry): those configs are refused."""
    try:
        yield
    except ConfigError:
        assume(False)


# --------------------------------------------------------------------------------------------------------
# 1. *.base accepts exactly proper LDH subdomains of base, on that scheme and port


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=base_domain,
    pat_scheme=scheme,
    pat_port=port,
    req_scheme=scheme,
    req_port=port,
    labels=st.lists(hostile_label, min_size=0, max_size=4),
    tail=st.sampled_from(["{base}", "{base}.", "x{base}", "{base}.evil.net", "{base}x", "evil.net"]),
)
@example(
    base="example.com",
    pat_scheme="https",
    pat_port=None,
    req_scheme="https",
    req_port=None,
    labels=[],
    tail="{base}",
)
def test_wildcard_accepts_exactly_proper_subdomains(
    base: str,
    pat_scheme: str,
    pat_port: int | None,
    req_scheme: str,
    req_port: int | None,
    labels: list[str],
    tail: str,
) -> None:
    with no_config_error():
        policy = CORSPolicy(allow_origins=[origin_of(pat_scheme, "*." + base, pat_port)])
    host = ".".join([*labels, tail.format(base=base)])
    origin = origin_of(req_scheme, host, req_port)
    expected = req_scheme == pat_scheme and req_port == pat_port and is_proper_subdomain(host, base)
    for d in (preflight(policy, origin), actual(policy, origin)):
        assert d.allowed is expected, (origin, d.refusals)
        assert acao(d) == ([origin] if expected else [])


# --------------------------------------------------------------------------------------------------------
# 2. characters outside a serialized origin are never reflected, whatever the policy says

SAY_YES_POLICIES = [
    CORSPolicy(allow_origin_regex=r".*", allow_methods=["GET"]),
    CORSPolicy(allow_origin_func=lambda origin, environ: True, allow_methods=["GET"]),
    CORSPolicy(allow_origins=["https://*.example.com"], allow_methods=["GET"], allow_credentials=True),
]


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["https://a.example.com", "https://", "http://x.example.com:8080", ""]),
    junk=st.text(min_size=1, max_size=20).filter(lambda s: any(c not in SERIALIZED_ORIGIN_CHARS for c in s)),
    suffix=st.sampled_from(["", ".example.com", "a.example.com"]),
    which=st.integers(min_value=0, max_value=len(SAY_YES_POLICIES) - 1),
)
def test_non_origin_characters_never_reflected(prefix: str, junk: str, suffix: str, which: int) -> None:
    origin = prefix + junk + suffix
    policy = SAY_YES_POLICIES[which]
    for d in (preflight(policy, origin), actual(policy, origin)):
        assert acao(d) == [], (origin, d.headers)
        assert allow_star_headers(d.headers) == []
    status, headers = run_middleware(policy, "GET", "/", {"HTTP_ORIGIN": origin})
    assert not status.startswith("5")
    assert allow_star_headers(headers) == []


# --------------------------------------------------------------------------------------------------------
# 3. allowed origins are reflected byte for byte

valid_origin = st.builds(origin_of, scheme, st.lists(ldh_label, min_size=2, max_size=4).map(".".join), port)


@settings(max_examples=200, deadline=None)
@given(members=st.lists(valid_origin, min_size=1, max_size=5, unique=True), data=st.data())
def test_allowed_origin_reflected_byte_for_byte(members: list[str], data: st.DataObject) -> None:
    with no_config_error():
        policy = CORSPolicy(allow_origins=members, allow_methods=["GET"], allow_credentials=True)
    origin = data.draw(st.sampled_from(members))
    for d in (preflight(policy, origin), actual(policy, origin)):
        assert d.allowed
        assert acao(d) == [origin]
    for method, extra in (("GET", {}), ("OPTIONS", {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"})):
        _, headers = run_middleware(policy, method, "/", {"HTTP_ORIGIN": origin, **extra})
        assert [v for k, v in headers if k.lower() == "access-control-allow-origin"] == [origin]


# every serialized origin a browser can send (RFC 1035 host, IPv4, canonical IPv6, non-default port) is
# reflected byte for byte when the user's function says yes: no false refusals
ipv6 = st.ip_addresses(v=6).map(lambda a: f"[{a.compressed}]")
any_serialized_origin = st.builds(
    lambda s, h, p: (
        f"{s}://{h}" + (f":{p}" if p is not None and p != {"http": 80, "https": 443}.get(s) else "")
    ),
    st.sampled_from(["http", "https", "chrome-extension", "app+x"]),
    st.one_of(
        st.lists(ldh_label, min_size=1, max_size=5).map(".".join),
        st.ip_addresses(v=4).map(str),
        ipv6,
    ),
    st.one_of(st.none(), st.integers(min_value=1, max_value=65535)),
)
YES = CORSPolicy(allow_origin_func=lambda origin, environ: True, allow_methods=["GET"])


@settings(max_examples=300, deadline=None)
@given(origin=any_serialized_origin)
def test_every_serialized_origin_reaches_the_user_function(origin: str) -> None:
    for d in (preflight(YES, origin), actual(YES, origin)):
        assert d.allowed, (origin, d.refusals)
        assert acao(d) == [origin]


# --------------------------------------------------------------------------------------------------------
# 4. refused origins never get Access-Control-Allow-*


@settings(max_examples=300, deadline=None)
@given(
    members=st.lists(valid_origin, min_size=1, max_size=4, unique=True),
    candidate=st.one_of(valid_origin, st.text(max_size=40), st.just("null")),
    acrh=st.one_of(st.none(), st.text(max_size=30), st.just("content-type")),
    credentials=st.booleans(),
)
def test_refused_origins_get_no_allow_headers(
    members: list[str], candidate: str, acrh: str | None, credentials: bool
) -> None:
    assume(candidate not in members)
    with no_config_error():
        policy = CORSPolicy(
            allow_origins=members,
            allow_methods=["GET"],
            allow_headers=["content-type"],
            allow_credentials=credentials,
            allow_private_network=True,
        )
    d = preflight(policy, candidate, acrh)
    assert not d.allowed
    assert d.status == 403
    assert allow_star_headers(d.headers) == []
    d = actual(policy, candidate)
    assert not d.allowed
    assert allow_star_headers(d.headers) == []
    status, headers = run_middleware(
        policy,
        "OPTIONS",
        "/",
        {
            "HTTP_ORIGIN": candidate,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
            "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "true",
        },
    )
    assert status.startswith("403")
    assert allow_star_headers(headers) == []


# --------------------------------------------------------------------------------------------------------
# 5. linear parsing cost, counted (not timed)


class Cost:
    def __init__(self) -> None:
        self.lines = 0
        self.calls = 0
        self.peak = 0


def _measure(fn: Callable[[], object]) -> Cost:
    """Count Python line events and C-function calls via sys.settrace/setprofile; peak bytes via tracemalloc."""
    cost = Cost()

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            cost.lines += 1
        return tracer

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event in ("call", "c_call"):
            cost.calls += 1

    tracemalloc.start()
    tracemalloc.reset_peak()
    old_trace, old_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(tracer)
    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.settrace(old_trace)
        sys.setprofile(old_profile)
        _, cost.peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return cost


def _assert_linear(small: Cost, big: Cost, factor: int, n_small: int) -> None:
    # at 4x the input a linear algorithm costs about 4x (plus a constant); a quadratic one ~16x
    slack = factor + 2
    assert big.lines <= slack * small.lines + 200, (small.lines, big.lines)
    assert big.calls <= slack * small.calls + 200, (small.calls, big.calls)
    assert big.peak <= slack * small.peak + 64 * 1024, (small.peak, big.peak)
    # and memory stays within a small multiple of the input itself (rs/cors spent 100+ MB on 1 MB)
    assert big.peak <= 100 * factor * n_small + 256 * 1024, big.peak


ACRH_UNITS = ["content-type,", ",", " , ", "x-evil,", "a", "Content-Type, X-Token,", "x\t,", ",content-type"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.one_of(st.sampled_from(ACRH_UNITS), st.text(min_size=1, max_size=6)), allowed=st.booleans())
def test_acrh_parsing_cost_is_linear(unit: str, allowed: bool) -> None:
    """GHSA-mh55-gqvf-xfwm (rs/cors) and hono: one comma-full ACRH cost 100+ ms and 100+ MB."""
    policy = CORSPolicy(
        allow_origins=["https://app.example.com"],
        allow_methods=["GET"],
        allow_headers=["*"] if allowed else ["content-type", "x-token"],
    )
    # below the parser's length bound (the per-name work is measured) and far above it
    for n in (max(1, 1000 // len(unit)), 2000):
        small = _measure(lambda n=n: preflight(policy, "https://app.example.com", unit * n))
        big = _measure(lambda n=n: preflight(policy, "https://app.example.com", unit * (4 * n)))
        _assert_linear(small, big, 4, n * len(unit))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    unit=st.one_of(
        st.sampled_from(["a", "a.", ".", "-", ":", "/", "a-", "%60", "\r\n", "\xe4"]),
        st.text(min_size=1, max_size=4),
    )
)
def test_origin_parsing_cost_is_linear(unit: str) -> None:
    policy = CORSPolicy(
        allow_origins=["https://app.example.com", "https://*.example.com"],
        allow_origin_regex=r"https://([a-z0-9]+\.)*example\.org",
        allow_methods=["GET"],
    )
    n = 2000
    small = _measure(lambda: actual(policy, "https://" + unit * n + ".example.com"))
    big = _measure(lambda: actual(policy, "https://" + unit * (4 * n) + ".example.com"))
    _assert_linear(small, big, 4, n * len(unit))


def test_cost_meter_detects_quadratic_loops() -> None:
    """The meter itself: a parser that rescans what it already parsed must fail the linearity check."""

    def quadratic(value: str) -> int:
        names = value.split(",")
        dupes = 0
        for i, name in enumerate(names):
            for earlier in names[:i]:  # a Python-level rescan: n^2 line events
                if earlier == name:
                    dupes += 1
        return dupes

    n = 150
    small = _measure(lambda: quadratic("a," * n))
    big = _measure(lambda: quadratic("a," * (4 * n)))
    with pytest.raises(AssertionError):
        _assert_linear(small, big, 4, 2 * n)


def test_cost_meter_detects_quadratic_memory() -> None:
    """The rs/cors failure mode: memory that grows with the square of the input."""

    def keeps_prefixes(value: str) -> int:
        names = value.split(",")
        prefixes = [",".join(names[:i]) for i in range(len(names))]  # one line, n^2 bytes held
        return len(prefixes)

    n = 300
    small = _measure(lambda: keeps_prefixes("ab," * n))
    big = _measure(lambda: keeps_prefixes("ab," * (4 * n)))
    with pytest.raises(AssertionError):
        _assert_linear(small, big, 4, 3 * n)


# --------------------------------------------------------------------------------------------------------
# 6. the middleware never fails on a hostile environ


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    return [b"ok"]


def run_middleware(
    policy_or_rules: CORSPolicy | list[tuple[str, CORSPolicy]], method: str, path: str, extra: dict[str, str]
) -> tuple[str, list[tuple[str, str]]]:
    if isinstance(policy_or_rules, CORSPolicy):
        app = CORSMiddleware(_app, policy_or_rules)
    else:
        app = CORSMiddleware(_app, rules=policy_or_rules)
    status, headers, _ = call_raw(app, method, path, extra)
    return status, headers


latin1 = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=60)
HOSTILE_POLICY = CORSPolicy(
    allow_origins=[
        "https://app.example.com",
        "https://*.example.com",
        "http://localhost:*",
        "https://*.dev.example.org:*",
    ],
    allow_methods=["GET", "PUT"],
    allow_headers=["content-type"],
    allow_credentials=True,
    allow_private_network=True,
)
HOSTILE_RULES = [("/public/*", CORSPolicy(allow_origins=["*"])), ("/*", HOSTILE_POLICY)]


@settings(max_examples=400, deadline=None)
@given(
    method=st.one_of(st.sampled_from(["GET", "OPTIONS", "POST", "options", "PUT"]), latin1),
    path=st.one_of(st.sampled_from(["/", "/public/x", "/api/x", "/PUBLIC/x"]), latin1),
    origin=st.one_of(
        st.none(),
        latin1,
        st.sampled_from(
            [
                "https://app.example.com",
                "https://a.example.com",
                "http://localhost:",
                "https://a.dev.example.org:",
                "https://a.dev.example.org:8443",
            ]
        ),
    ),
    acrm=st.one_of(st.none(), latin1, st.just("PUT")),
    acrh=st.one_of(st.none(), latin1),
    pna=st.one_of(st.none(), latin1, st.just("true")),
    rules=st.booleans(),
)
def test_middleware_never_fails_on_hostile_environ(
    method: str,
    path: str,
    origin: str | None,
    acrm: str | None,
    acrh: str | None,
    pna: str | None,
    rules: bool,
) -> None:
    extra = {
        name: value
        for name, value in (
            ("HTTP_ORIGIN", origin),
            ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", acrm),
            ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", acrh),
            ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", pna),
        )
        if value is not None
    }
    status, headers = run_middleware(HOSTILE_RULES if rules else HOSTILE_POLICY, method, path, extra)
    assert status[:3] in ("200", "204", "403"), status
    for name, value in headers:
        assert not any(c in value for c in "\r\n\x00"), (name, value)
        value.encode("latin-1")
    for name, value in headers:
        if name.lower() == "access-control-allow-origin":
            assert value == "*" or value == origin
            assert set(value) <= SERIALIZED_ORIGIN_CHARS | {"*"}


# --------------------------------------------------------------------------------------------------------
# 7. the fuzz targets' invariants, run here on random bytes and on the seed corpus (no atheris needed),
#    and shown able to fail on broken decisions

FUZZ_DIR = Path(__file__).resolve().parents[1] / "fuzz"
sys.path.insert(0, str(FUZZ_DIR))
import fuzz_decide  # noqa: E402
import fuzz_middleware  # noqa: E402
import invariants  # noqa: E402

sys.path.remove(str(FUZZ_DIR))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_fuzz_decide_target_on_random_bytes(data: bytes) -> None:
    fuzz_decide.test_one_input(data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_fuzz_middleware_target_on_random_bytes(data: bytes) -> None:
    fuzz_middleware.test_one_input(data)


@pytest.mark.parametrize("target", ["decide", "middleware"])
def test_fuzz_seed_corpus_passes(target: str) -> None:
    seeds = sorted((FUZZ_DIR / "seeds" / target).iterdir())
    assert len(seeds) >= 10
    run = fuzz_decide.test_one_input if target == "decide" else fuzz_middleware.test_one_input
    for seed in seeds:
        run(seed.read_bytes())


_LIST_CASE = invariants.POLICIES[0]
_OK = ("Access-Control-Allow-Origin", "https://app.example.com")
BROKEN: list[tuple[str, str | None, str | None, Decision]] = [
    # (what is wrong, origin, ACRM, decision)
    (
        "reflects-refused",
        "https://evil.net",
        None,
        Decision("actual", True, None, (("Access-Control-Allow-Origin", "https://evil.net"),), ("Origin",)),
    ),
    (
        "reflects-crlf",
        "https://a.example.com\r\n",
        None,
        Decision(
            "actual", True, None, (("Access-Control-Allow-Origin", "https://a.example.com\r\n"),), ("Origin",)
        ),
    ),
    (
        "apex-of-wildcard",
        "https://example.com",
        None,
        Decision(
            "actual", True, None, (("Access-Control-Allow-Origin", "https://example.com"),), ("Origin",)
        ),
    ),
    (
        "star-with-credentials",
        "https://app.example.com",
        None,
        Decision("actual", True, None, (("Access-Control-Allow-Origin", "*"),), ("Origin",)),
    ),
    (
        "allowed-not-reflected",
        "https://app.example.com",
        None,
        Decision("actual", False, None, (), ("Origin",), refusals=(Refusal("origin-not-allowed"),)),
    ),
    ("no-vary-origin", "https://app.example.com", None, Decision("actual", True, None, (_OK,), ())),
    (
        "refused-preflight-grants",
        "https://app.example.com",
        "DELETE",
        Decision("preflight", False, 403, (_OK,), ("Origin",), refusals=(Refusal("method-not-allowed"),)),
    ),
    (
        "refused-preflight-200",
        "https://evil.net",
        "PUT",
        Decision("preflight", False, 200, (), ("Origin",), refusals=(Refusal("origin-not-allowed"),)),
    ),
    (
        "unasked-private-network-cve-2024-6221",
        "https://app.example.com",
        "PUT",
        Decision(
            "preflight", True, 204, (_OK, ("Access-Control-Allow-Private-Network", "true")), ("Origin",)
        ),
    ),
    (
        "method-case-folded",
        "https://app.example.com",
        "PATCH",
        Decision("preflight", True, 204, (_OK, ("Access-Control-Allow-Methods", "PATCH")), ("Origin",)),
    ),
    (
        "preflight-headers-on-actual",
        "https://app.example.com",
        None,
        Decision("actual", True, None, (_OK, ("Access-Control-Max-Age", "5")), ("Origin",)),
    ),
    (
        "duplicated-acao",
        "https://app.example.com",
        None,
        Decision("actual", True, None, (_OK, _OK), ("Origin",)),
    ),
    ("refusal-without-reason", "https://evil.net", None, Decision("actual", False, None, (), ("Origin",))),
]


@pytest.mark.parametrize(("what", "origin", "acrm", "decision"), BROKEN, ids=[b[0] for b in BROKEN])
def test_fuzz_invariants_catch_broken_decisions(
    what: str, origin: str | None, acrm: str | None, decision: Decision
) -> None:
    method = "OPTIONS" if acrm is not None else "GET"
    with pytest.raises(AssertionError):
        invariants.check_decision(_LIST_CASE, method, origin, acrm, None, None, decision)
    # control: the real decision for the same request passes
    real = decide(_LIST_CASE.policy, method, origin, acrm, None, None, {})
    invariants.check_decision(_LIST_CASE, method, origin, acrm, None, None, real)
