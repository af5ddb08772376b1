"""The usage examples in the core modules' docstrings run, so they cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import cors_wsgi

PACKAGE = Path(cors_wsgi.__file__).parent
# Every module whose docstrings hold an example, found by reading the source: a new module's examples run
# without anyone listing it, and each module's run once, here.
MODULES = sorted(
    "cors_wsgi." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8")
)


def test_the_core_modules_have_examples() -> None:
    core = {
        "decision",
        "explain",
        "grammar",
        "headers",
        "logsafe",
        "memo",
        "origins",
        "policy",
        "origin_probes",
        "refusals",
        "regexes",
        "rules",
    }
    assert {name.rsplit(".", 1)[-1] for name in MODULES} >= core


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
