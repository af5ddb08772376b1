"""A pytest plugin for ``tox -e mutation``: a test depends on what its module builds when it is imported.

mutmut maps each test to the functions it calls, recording every call between one test's end and the
next one's. The table tests build their policies at module level, when pytest imports the module to collect
it: mutmut would give those calls to whichever test happens to run first, and judge a mutant of
``CompiledPolicy.__init__`` without the tables that read its answers. This plugin gives the calls a module
makes while it is imported to every test of that module, and the calls made before any module (conftest
files, plugins) to every test.

Loaded by ``[tool.mutmut] pytest_add_cli_args``. In mutmut's other runs it only puts the quickest tests
first. (The other half is ``process_isolation = "forkserver"`` with no warm-up: each mutant's tests
import their modules afresh, so a module-level policy is built by the mutant, not inherited from an
unmutated process.)
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from mutmut.mutation.trampoline import get_mutant_under_test
from mutmut.state import state
from mutmut.utils.format_utils import strip_prefix

# What each test module's import called, by the module's node id; "" holds what was called outside any
# module's import (conftest files and plugins before, collection between them): every test gets those.
_calls_at_import: dict[str, set[str]] = {}


def _collecting_stats() -> bool:
    return get_mutant_under_test() == "stats"


def _take_calls() -> set[str]:
    calls = set(state()._stats)
    state()._stats.clear()
    return calls


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    if not (_collecting_stats() and isinstance(collector, pytest.Module)):
        return (yield)
    _calls_at_import.setdefault("", set()).update(_take_calls())
    report = yield
    _calls_at_import[collector.nodeid] = _take_calls()
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not _collecting_stats():
        # Judging a mutant (pytest -x): the quickest tests first, so a killed mutant is told in seconds
        # rather than after whichever slow property test its list happened to start with. Only the order
        # changes, never which tests run. (Also in mutmut's clean run, where the order does not matter.)
        durations = state().duration_by_test
        items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


def pytest_collection_finish(session: pytest.Session) -> None:
    # After -m and --deselect have had their say: only the tests that will run are given the calls.
    if not _collecting_stats():
        return
    before_any = _calls_at_import.get("", set()) | _take_calls()
    tests_by_function = state().tests_by_mangled_function_name
    for item in session.items:
        module = item.getparent(pytest.Module)
        calls = before_any | _calls_at_import.get(module.nodeid if module else "", set())
        test = strip_prefix(item.nodeid, prefix="mutants/")
        for function in calls:
            tests_by_function[function].add(test)
