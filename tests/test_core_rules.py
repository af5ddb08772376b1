"""Path globs: '*' is the only special character, the match is over the whole path, case-sensitive."""

from __future__ import annotations

import pytest

from cors_wsgi import CORSPolicy
from cors_wsgi.rules import PathGlob, Rules

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
