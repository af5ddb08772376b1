"""Mutation testing of the core (mutmut, configured in pyproject.toml's ``[tool.mutmut]``), and its table.

    tox -e mutation -- grammar headers       # those modules, then benchmarks/results/mutation.md
    tox -e mutation                          # all twelve: hours on two cores
    python -m benchmarks.mutation --table    # only rewrite the table from what mutants/ holds

One module at a time, each a separate ``mutmut run`` with at most ``--children`` workers (2 by default, or
``MUTATION_CHILDREN``): the machine stays usable, and an interrupted run keeps the modules it finished
(mutmut keeps every verdict in ``mutants/`` and judges only what changed since). The table keeps the row of
a module that was not run this time, with the commit it was measured at.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "benchmarks" / "results" / "mutation.md"
# The pure core first (target: 90% killed), then the adapter and policy (80%).
PURE = ("decision", "answers", "origins", "headers", "rules", "grammar", "refusals", "regexes")
ADAPTER = ("policy", "middleware", "remembered", "memo")
MODULES = PURE + ADAPTER
PRAGMA = "pragma: no mutate"
# mutmut's exit codes (mutmut.stats.status_by_exit_code) as the table counts them.
# A test failed (1), pytest broke (3), the type check caught it (37), or the run raised (255: the worker's
# exit status -1). Under a mutant that is a test module that cannot be imported: pytest then finds no
# collectors for the tests named and exits with 4, which mutmut raises as an error; mutmut files 255 under
# "timeout", but a real timeout is a signal (below), and the clean run named the same tests unmutated.
KILLED = {1, 3, 37, 255}
TIMEOUT = {24, -24, 152, 36}  # the tests ran out of time: the mutant changed something they saw
SURVIVED = {0}
NO_TESTS = {5, 33}  # no test runs the mutated function

COLUMNS = (
    "module",
    "mutants",
    "killed",
    "timeout",
    "survived",
    "no tests",
    "not run",
    "pragma lines",
    "% killed",
)
HEADER = "| " + " | ".join((*COLUMNS, "commit")) + " |\n|---|" + "---:|" * (len(COLUMNS) - 1) + "---|\n"
INTRO = """# Mutation testing of the core

Written by `python -m benchmarks.mutation` (`tox -e mutation`; see docs/testing.md). A mutant is one change
of an operator, constant or condition; it is killed when a test fails. % killed counts timeouts as killed,
over the mutants judged (not those not run). Pragma lines are left unmutated on purpose (`# pragma: no
mutate`, each with its reason). Targets: 90% in the pure core (the first eight rows), 80% in the adapter and
policy modules. refusals.py holds constants only, which mutmut does not mutate. A row measured before
c0f81f0 judged its mutants without the policies tests build at module level (docs/testing.md, "Module-level
policies"); judged again, more tests see each mutant, so its kills can only stay or grow.

"""


def run_module(module: str, children: int) -> int:
    """``mutmut run`` for one module's mutants; its exit status."""
    if "def " not in (ROOT / "cors_wsgi" / f"{module}.py").read_text():
        return 0  # constants only: mutmut mutates function bodies, so there is nothing to run
    command = [sys.executable, "-m", "mutmut", "run", f"--max-children={children}", f"cors_wsgi.{module}.*"]
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603


def row(module: str, commit: str) -> str | None:
    """The module's row from mutants/, or None when none of its mutants was run there."""
    source = (ROOT / "cors_wsgi" / f"{module}.py").read_text()
    pragmas = sum(PRAGMA in line for line in source.splitlines())
    meta = ROOT / "mutants" / "cors_wsgi" / f"{module}.py.meta"
    if "def " not in source:
        codes: Counter[int | None] = Counter()
    elif meta.exists():
        codes = Counter(json.loads(meta.read_text())["exit_code_by_key"].values())
    else:
        return None
    killed = sum(n for code, n in codes.items() if code in KILLED)
    timeout = sum(n for code, n in codes.items() if code in TIMEOUT)
    survived = sum(n for code, n in codes.items() if code in SURVIVED)
    no_tests = sum(n for code, n in codes.items() if code in NO_TESTS)
    judged = killed + timeout + survived + no_tests
    if source.count("def ") and not judged:
        return None  # generated, never run here
    score = f"{100 * (killed + timeout) / judged:.1f}" if judged else "-"
    total = sum(codes.values())
    cells = [module, total, killed, timeout, survived, no_tests, total - judged, pragmas, score, commit]
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def write_table() -> str:
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
    old = TABLE.read_text() if TABLE.exists() else ""
    kept = {m.group(1): m.group(0) for m in re.finditer(r"^\| (\w+) \|.*\|$", old, re.MULTILINE)}
    rows = []
    for module in MODULES:
        line = row(module, commit or "-") or kept.get(module)
        rows.append(line or f"| {module} | | | | | | | | not run | |")
    text = INTRO + HEADER + "\n".join(rows) + "\n"
    TABLE.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__.split("\n")[0])
    modules = ", ".join(MODULES)
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], metavar="MODULE", help=modules)
    parser.add_argument("--children", type=int, default=int(os.environ.get("MUTATION_CHILDREN", "2")))
    parser.add_argument("--table", action="store_true", help="only rewrite the table")
    args = parser.parse_args(argv)
    status = 0
    if not args.table:
        # mutmut maps each test to the functions it calls once, and afterwards only for new test files: a
        # test added to an existing file would judge no mutant. So every run maps the tests afresh.
        (ROOT / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
        for module in args.modules or MODULES:
            status = run_module(module, args.children) or status
    print(write_table())
    return status


if __name__ == "__main__":
    sys.exit(main())
