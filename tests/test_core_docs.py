"""The usage examples in the core modules' docstrings run, so they cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cors_wsgi.errors",
    "cors_wsgi.grammar",
    "cors_wsgi.refusals",
    "cors_wsgi.origins",
    "cors_wsgi.policy",
    "cors_wsgi.decision",
    "cors_wsgi.rules",
    "cors_wsgi.headers",
    "cors_wsgi.debug",
    "cors_wsgi.memo",
    "cors_wsgi.regexes",
    "cors_wsgi.origin_probes",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
