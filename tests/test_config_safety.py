"""Safe whatever the user configures: no regex that backtracks or admits every origin with credentials, no
plain-http origin with credentials unless tolerated, hostile TOML as a ConfigError, a lint that runs no code,
and bounded Access-Control-Request-Headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy, check_wsgi, load_config
from cors_wsgi.decision import decide, parse_request_headers
from cors_wsgi.grammar import MAX_ORIGIN_LENGTH, MAX_REQUEST_HEADER_NAMES
from cors_wsgi.lint import lint_file

ROOT = Path(__file__).resolve().parent.parent

BACKTRACKING = [
    r"https://(a|a)+\.example\.com",
    r"https://(a+)+\.example\.com",
    r"(.|\w)+",
    r"https://(a|ab)*c\.example\.com",
    r"https://(\w+)*\.example\.com",
    r"https://.*.*.*\.example\.com",
    r"https://(x+x+)+\.example\.com",
    r"https://(a)\1\.example\.com",
]


@pytest.mark.parametrize("pattern", BACKTRACKING)
def test_backtracking_prone_regexes_are_refused_naming_the_construct(pattern: str) -> None:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(allow_origin_regex=pattern)
    assert info.value.field == "allow_origin_regex"
    assert info.value.value == pattern
    assert "https://*.example.com" in str(info.value)  # points to wildcard patterns


SOUND = [
    r"https://pr-[0-9]+\.preview\.example\.com",
    r"https://(app|admin)\.example\.com",
    r"https?://(?:[a-z0-9-]+\.)+example\.com",
    r"https://(www\.)?example\.com",
    r"https://[a-z]+\.example\.com(:[0-9]+)?",
]


@pytest.mark.parametrize("pattern", SOUND)
def test_ordinary_regexes_are_accepted(pattern: str) -> None:
    CORSPolicy(allow_origin_regex=pattern)


def test_a_list_of_regexes_each_a_full_match() -> None:
    policy = CORSPolicy(allow_origin_regex=[r"https://a\.example\.com", r"https://b\.example\.org"])
    assert policy.allow_origin_regex == (r"https://a\.example\.com", r"https://b\.example\.org")
    assert decide(policy, "GET", "https://b.example.org").allowed
    assert not decide(policy, "GET", "https://b.example.org.evil.net").allowed
    assert not decide(policy, "GET", "https://xa.example.com").allowed


# Pieces of ReDoS-shaped patterns: whatever the construction accepts must match in linear time.
ATOMS = ["a", "[a-z]", r"\w", ".", "(a|a)", "(a|ab)", "(?:a|b)", "[ab]"]
QUANTIFIERS = ["+", "*", "{1,5}", "?", ""]


@st.composite
def redos_shapes(draw: st.DrawFn) -> str:
    inner = draw(st.sampled_from(ATOMS)) + draw(st.sampled_from(QUANTIFIERS))
    group = f"({inner}{draw(st.sampled_from(ATOMS))}{draw(st.sampled_from(QUANTIFIERS))})"
    return "https://" + group + draw(st.sampled_from(QUANTIFIERS)) + r"\.example\.com"


@settings(max_examples=200, deadline=None)
@given(pattern=redos_shapes(), filler=st.sampled_from("ab."))
def test_every_accepted_pattern_matches_hostile_origins_in_linear_time(pattern: str, filler: str) -> None:
    try:
        policy = CORSPolicy(allow_origin_regex=pattern)
    except ConfigError:
        return  # refused at construction: nothing can run
    origin = ("https://" + filler * MAX_ORIGIN_LENGTH)[
        : MAX_ORIGIN_LENGTH - len(".example.org")
    ] + ".example.org"
    start = time.perf_counter()
    decide(policy, "GET", origin)
    # Catastrophic backtracking takes seconds to hours here; linear matching of 320 characters, microseconds.
    assert time.perf_counter() - start < 0.5, pattern


@pytest.mark.parametrize("pattern", [".*", "https?://.*", "https://.+", "[a-z]+://[^/]+", r"https://.+\..+"])
def test_a_regex_admitting_any_origin_with_credentials_is_refused(pattern: str) -> None:
    with pytest.raises(ConfigError, match="that is '\\*' with credentials"):
        CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)
    CORSPolicy(allow_origin_regex=pattern)  # without credentials it is as open as '*', which is allowed


@pytest.mark.parametrize("origin", ["http://app.example.com", "http://*.example.com", "http://10.0.0.5:8080"])
def test_plain_http_origins_with_credentials_need_tolerating(origin: str) -> None:
    with pytest.raises(ConfigError, match="tolerate_insecure_origins") as info:
        CORSPolicy(allow_origins=[origin], allow_credentials=True)
    assert info.value.value == origin
    CORSPolicy(allow_origins=[origin], allow_credentials=True, tolerate_insecure_origins=True)
    CORSPolicy(allow_origins=[origin])


@pytest.mark.parametrize("origin", ["http://app.example.com", "http://*.example.com"])
def test_the_plain_http_refusal_says_the_risk_and_both_ways_out(origin: str) -> None:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(allow_origins=[origin], allow_credentials=True)
    assert str(info.value) == (
        f"allow_origins: {origin!r} is plain http:// with allow_credentials=True: anyone who can tamper with "
        "that page's traffic can read credentialed responses; use https://, or set "
        "tolerate_insecure_origins=True to accept the risk"
    )


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("HTTP://*.Example.com", "http://*.example.com"),
        ("Http://*.example.com:80", "http://*.example.com"),
        ("HTTP://dev.example.com:*", "http://dev.example.com:*"),
    ],
)
def test_no_spelling_of_a_pattern_dodges_the_plain_http_check(written: str, kept: str) -> None:
    # Patterns are kept normalised like exact origins, so every later check reads one spelling.
    with pytest.raises(ConfigError, match="tolerate_insecure_origins") as info:
        CORSPolicy(allow_origins=[written], allow_credentials=True)
    assert info.value.value == kept
    assert CORSPolicy(allow_origins=[written]).allow_origins == (kept,)


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "http://127.0.0.1:8000", "http://127.8.9.10", "http://[::1]:5173"]
)
def test_loopback_http_origins_are_potentially_trustworthy(origin: str) -> None:
    CORSPolicy(allow_origins=[origin], allow_credentials=True)


def test_every_element_of_request_headers_counts_toward_the_cap() -> None:
    assert parse_request_headers(",".join(["x"] * MAX_REQUEST_HEADER_NAMES)) == ("x",)
    assert parse_request_headers(",".join(["x"] * (MAX_REQUEST_HEADER_NAMES + 1))) is None
    assert parse_request_headers("," * MAX_REQUEST_HEADER_NAMES) is None
    assert parse_request_headers(",".join(["x"] * 2048)[:4095]) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["x", "X", " x", "content-type", "", "\t", "k\u212a"]), max_size=2100))
def test_request_headers_parsing_agrees_with_the_per_name_rule(names: list[str]) -> None:
    value = ",".join(names)
    parsed = parse_request_headers(value)
    if len(value) > 4096 or len(names) > MAX_REQUEST_HEADER_NAMES or not value.isascii():
        assert parsed is None
        return
    cleaned = [n.strip(" \t") for n in names if n.strip(" \t")]
    assert parsed == tuple(dict.fromkeys(n.lower() for n in cleaned))


# --- hostile files ----------------------------------------------------------------------------------------

HOSTILE_FILES = {
    "deep-arrays": b'[[rule]]\npath = "/x"\nallow_origins = ' + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "deep-inline-tables": b'[[rule]]\npath = "/x"\nx = ' + b"{a=" * 100_000 + b"1" + b"}" * 100_000 + b"\n",
    "huge-integer": b'[[rule]]\npath = "/x"\nallow_origins = ["http://localhost:3000"]\nmax_age = '
    + b"9" * 5000
    + b"\n",
    "not-utf8": b'[[rule]]\npath = "/x\xff\xfe"\n',
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_toml_is_a_config_error_naming_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.toml"
    path.write_bytes(HOSTILE_FILES[name])
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert str(path) in str(info.value)
    [finding] = lint_file(path)
    assert finding.severity == "error"


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_lint_json_stays_json_on_hostile_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.toml"
    path.write_bytes(HOSTILE_FILES[name])
    run = subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "lint", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout)[0]["severity"] == "error"
    assert "Traceback" not in run.stderr


# --- lint runs no code ------------------------------------------------------------------------------------


def _pwned_config(tmp_path: Path, reference: str) -> Path:
    (tmp_path / "pwnmod.py").write_text(
        "import pathlib\npathlib.Path('PWNED').write_text('ran')\ndef f(origin, environ):\n    return True\n"
    )
    pkg = tmp_path / "pwnpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import pathlib\npathlib.Path('PWNED').write_text('ran')\n")
    (pkg / "sub.py").write_text("def f(origin, environ):\n    return True\n")
    config = tmp_path / "cors.toml"
    config.write_text(
        f'[[rule]]\npath = "/api/*"\nallow_origins = ["http://localhost:3000"]\n'
        f'allow_origin_func = "{reference}"\n'
    )
    return config


def _lint(tmp_path: Path, config: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", "lint", str(config), *flags],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("reference", ["pwnmod:f", "pwnpkg.sub:f"])
def test_lint_imports_nothing_by_default(tmp_path: Path, reference: str) -> None:
    config = _pwned_config(tmp_path, reference)
    run = _lint(tmp_path, config)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (tmp_path / "PWNED").exists()
    imported = _lint(tmp_path, config, "--import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert (tmp_path / "PWNED").exists()  # only when asked


@pytest.mark.parametrize(
    ("reference", "message"),
    [("nosuchmodule_x1:f", "cannot find module 'nosuchmodule_x1'"), ("not a ref", "module:attribute")],
)
def test_lint_still_checks_the_reference(tmp_path: Path, reference: str, message: str) -> None:
    config = _pwned_config(tmp_path, reference)
    run = _lint(tmp_path, config)
    assert run.returncode == 1
    assert message in run.stdout
    assert "--import" in _lint(tmp_path, config, "--help").stdout


# Item 7: Local Network Access replaces Private Network Access; check says what no header can fix.


@pytest.mark.parametrize(
    ("origin", "url", "space"),
    [
        ("https://app.example.com", "http://127.0.0.1:5000/api/data", "local"),
        ("https://app.example.com", "http://localhost:5000/api/data", "local"),
        ("https://app.example.com", "http://192.168.1.20/api/data", "private"),
        ("http://10.0.0.5:3000", "http://[::1]:5000/api/data", "local"),
    ],
)
def test_check_recognises_local_network_access(origin: str, url: str, space: str) -> None:
    app = CORSMiddleware(_hello, allow_origins=[origin])
    verdict = check_wsgi(app, url, origin=origin)
    assert verdict.passed  # the CORS answer is right ...
    (note,) = [n for n in verdict.notes if n.startswith("Local Network Access")]
    assert f'targetAddressSpace: "{space}"' in note  # ... and the page still needs the permission
    assert "no response header can grant" in note


@pytest.mark.parametrize(
    ("origin", "url"),
    [
        ("http://localhost:3000", "http://localhost:5000/api/data"),  # the demo: same address space
        ("https://app.example.com", "https://api.example.com/data"),  # names: DNS decides, not us
        ("http://127.0.0.1:3000", "http://192.168.1.20/api/data"),  # towards a less private space
    ],
)
def test_no_local_network_note_where_it_does_not_apply(origin: str, url: str) -> None:
    app = CORSMiddleware(_hello, allow_origins=[origin])
    verdict = check_wsgi(app, url, origin=origin)
    assert verdict.passed, verdict.console
    assert not [n for n in verdict.notes if "Local Network Access" in n]


def _hello(environ: dict[str, object], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


# Item 6, second half: rule-order warnings come from an index, not from trying every pair of rules.

_SEGMENTS = st.sampled_from(["api", "v1", "pub", "x", "*", ""])


@st.composite
def rule_paths(draw: st.DrawFn) -> str:
    return (
        "/"
        + "/".join(draw(st.lists(_SEGMENTS, min_size=0, max_size=3)))
        + draw(st.sampled_from(["", "*", "/*", "/items"]))
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(rule_paths(), st.booleans(), st.booleans()), min_size=1, max_size=8))
def test_rule_order_warnings_agree_with_trying_every_pair(rules: list[tuple[str, bool, bool]]) -> None:
    from cors_wsgi.lint import _overlap_witness, _rule_order_warnings
    from cors_wsgi.rules import PathGlob

    built = [
        (
            i,
            path,
            CORSPolicy(allow_origins=["*"])
            if star
            else CORSPolicy(allow_origins=["https://a.example"], allow_credentials=creds),
        )
        for i, (path, star, creds) in enumerate(rules)
    ]
    expected: list[tuple[int, str, int | None]] = []
    for position, (index, path, policy) in enumerate(built):
        shadow = next((e for e in built[:position] if PathGlob(e[1]).matches(path)), None)
        if shadow is not None:
            expected.append((index, "shadowed-rule", shadow[0]))
        if policy.allow_origins != ("*",):
            continue
        if PathGlob(path).matches("/") and PathGlob(path).matches("/any/deep/path"):
            expected.append((index, "wildcard-origin-everywhere", None))
            continue
        for later_index, later_path, later in built[position + 1 :]:
            glob, later_glob = PathGlob(path), PathGlob(later_path)
            # '*' on a part of a later credentialed rule's paths is the intended order (#21); '*' on paths
            # that rule was written for, in part or in whole, warns. (_overlap_witness: test_lint.py.)
            carved_out = later_glob.matches(path) and not glob.matches(later_path)
            if later.allow_credentials and _overlap_witness(path, later_path) and not carved_out:
                expected.append((index, "wildcard-origin-everywhere", later_index))
    got = []
    for finding in _rule_order_warnings(built):
        named = [i for i, _, _ in built if f"rule[{i}]" in finding.message]
        got.append((finding.rule, finding.code, named[0] if named else None))
    assert got == expected
