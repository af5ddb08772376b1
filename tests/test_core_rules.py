"""Path globs: '*' is the only special character, the match is over the whole path, case-sensitive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cors_wsgi import CORSPolicy
from cors_wsgi.rules import DOT_SEGMENT, PathGlob, Rules

POLICY = CORSPolicy(allow_origins=["http://localhost:3000"])


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/*", "/api/data", True),
        ("/api/*", "/api/", True),
        ("/api/*", "/api", False),
        ("/api/*", "/API/data", False),  # CVE-2024-6866: case-sensitive
        ("/api/*", "/apix/data", False),
        ("/api/*", "/api/a/b/c", True),  # '*' crosses '/'
        ("/*", "/", True),
        ("/api/data", "/api/data", True),
        ("/api/data", "/api/data/", False),
        ("/api/*/items", "/api/v1/items", True),
        ("/api/*/items", "/api/v1/items/1", False),
        ("/api/*/items", "/api/items", False),  # first and last piece may not overlap
        ("/a*b*c", "/abc", True),
        ("/a*b*c", "/aXbYc", True),
        ("/a*b*c", "/acb", False),
        ("/*.json", "/x.json", True),
        ("/v?/*", "/v1/x", False),  # '?' is literal
        ("/v?/*", "/v?/x", True),
        ("/[ab]/*", "/a/x", False),  # '[' is literal
        ("/a+b", "/a b", False),  # CVE-2024-6844: no second unquoting
        ("/a+b", "/a%2Bb", False),
        ("/api/*", "/apj", False),  # the prefix test's upper bound: "/apj" sorts after "/api/"
        ("/api/*", "/api0", False),  # and "/api0" after "/api/" too ("0" follows "/")
        ("/api/*", "/api.", False),  # "." sorts before "/"
        (
            "/\u00e9t\u00e9/*",
            "/\u00c3\u00a9t\u00c3\u00a9/x",
            True,
        ),  # patterns compare as PEP 3333 latin-1 text
    ],
)
def test_path_glob(pattern: str, path: str, matches: bool) -> None:
    assert PathGlob(pattern).matches(path) is matches
    # Rules take a shortcut for "/prefix/*" globs: it must agree.
    assert (Rules([(pattern, POLICY)]).lookup(path) is not None) is matches


def test_many_stars_on_a_long_path_stay_linear() -> None:
    # A regex like /(.*)a(.*)a(.*)a.../ would backtrack here; leftmost placement never does.
    glob = PathGlob("/" + "*a" * 20 + "*b")
    assert glob.matches("/" + "a" * 20 + "b")
    assert not glob.matches("/" + "a" * 100_000)


# Paths as PEP 3333 hands them over (latin-1 text), from characters around the ones a prefix ends with.
_PATH_TEXT = st.text(alphabet="/.-09azAZ\x7f\x80\xfe\xff", max_size=12)


@given(prefix=_PATH_TEXT, path=_PATH_TEXT)
def test_the_prefix_shortcut_is_startswith(prefix: str, path: str) -> None:
    # A "/prefix/*" glob is tested with two comparisons instead of str.startswith; they must agree on
    # every path (dot segments aside, which are their own outcome).
    rules = Rules([("/" + prefix + "*", POLICY)])
    found = rules.lookup("/" + path)
    as_served = ("/" + prefix).encode("utf-8").decode("latin-1")  # what a server hands over for it
    if found is not DOT_SEGMENT:
        assert (found is not None) is ("/" + path).startswith(as_served)
