"""The command line: time every group, check every answer, write the table, the chart and the wall-clock
section of docs/performance.md.

    python -m benchmarks                       # full run: ~1 min in process + ~2 min end to end
    python -m benchmarks --quick --no-e2e      # seconds; numbers only good for spotting a breakage
    python -m benchmarks --only main,scaling --page

Writes ``results.json`` (raw values, not committed), ``results.md`` and ``results.png`` to ``--out``
(``benchmarks/results``; a temporary directory for ``--quick``, whose numbers are not for publication).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.checks import Answer
from benchmarks.scenarios import (
    ADVERSARIAL,
    KINDS,
    REFUSED_ORIGIN,
    Environ,
    OriginConfig,
    exact_config,
    fresh_allowed_origin,
    fresh_environs,
    fresh_refused_origin,
    main_config,
    request_environ,
    wildcard_config,
)
from benchmarks.subjects import CORS_SUBJECTS, SUBJECTS
from benchmarks.timing import Case, Settings, Stats, WSGIApp, measure_group

HERE = Path(__file__).resolve().parent
GROUPS = ("main", "scaling", "adversarial", "e2e")
SCALING_SIZES = (1, 10, 100, 1000, 10_000)
WILDCARDS = 100

Progress = Callable[[str], None]


class WrongAnswer(AssertionError):
    """A subject does not answer as its configuration promises: its timing would mean nothing."""


def _origin_of(kind_key: str, cfg: OriginConfig) -> str | None:
    origin = KINDS[kind_key].origin
    return cfg.allowed if origin == "allowed" else REFUSED_ORIGIN if origin == "refused" else None


def _checked(subject: str, app: WSGIApp, kind_key: str, environ: Environ, strict: bool = True) -> Answer:
    answer = Answer.of(app, environ)
    kind = KINDS[kind_key]
    problems = answer.problems(kind, environ.get("HTTP_ORIGIN"), SUBJECTS[subject].cors) if strict else []
    if problems:
        raise WrongAnswer(f"{subject} / {kind.label}: " + "; ".join(problems))
    return answer


def _row(stats: Stats, answer: Answer) -> dict[str, Any]:
    return {
        "median_us": stats.median_us,
        "min_us": stats.min_us,
        "spread": stats.spread,
        "loops": stats.loops,
        "attempts": stats.attempts,
        "values_us": stats.values_us,
        "answer": answer.summary(),
    }


def available(subjects: Iterable[str], cfg: OriginConfig, skipped: dict[str, str]) -> dict[str, WSGIApp]:
    """Build each subject for ``cfg``; one whose package is missing is left out and noted in ``skipped``."""
    apps = {}
    for key in subjects:
        try:
            apps[key] = SUBJECTS[key].build(cfg)
        except ImportError as exc:
            skipped[key] = str(exc)
    return apps


def run_main(
    settings: Settings,
    subjects: Iterable[str] = tuple(SUBJECTS),
    kinds: Iterable[str] = tuple(KINDS),
    progress: Progress | None = None,
    skipped: dict[str, str] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every subject on every request kind, main origin list: ``{kind: {subject: row}}``."""
    cfg = main_config()
    apps = available(subjects, cfg, skipped if skipped is not None else {})
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for kind_key in kinds:
        environ = request_environ(KINDS[kind_key], cfg)
        answers = {s: _checked(s, app, kind_key, environ) for s, app in apps.items()}
        cases = [Case(s, app, environ=environ) for s, app in apps.items()]
        stats = measure_group(cases, settings)
        out[kind_key] = {s: _row(stats[s], answers[s]) for s in apps}
        if progress:
            progress(f"main {kind_key}: " + _brief(out[kind_key]))
    return out


def scaling_configs() -> list[OriginConfig]:
    return [*(exact_config(n) for n in SCALING_SIZES), wildcard_config(WILDCARDS)]


def run_scaling(
    settings: Settings,
    subjects: Iterable[str] = CORS_SUBJECTS,
    configs: Iterable[OriginConfig] | None = None,
    progress: Progress | None = None,
    skipped: dict[str, str] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """GET /api/data as the origin list grows: ``{config: {"subject|warm" or "subject|fresh": row}}``.

    *warm* repeats the allowed origin (last in the list); *fresh* sends a never-seen origin on every
    request: refused for exact lists, allowed by the last pattern for wildcard lists. No cache helps there.
    The floors of the subjects (bare app, Flask) run in the same group, so the cost each layer adds is
    measured against a floor timed in the same rounds.
    """
    subjects = tuple(subjects)
    floors = tuple(dict.fromkeys(SUBJECTS[s].floor for s in subjects))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for cfg in configs if configs is not None else scaling_configs():
        apps = available(floors + subjects, cfg, skipped if skipped is not None else {})
        warm_env = request_environ(KINDS["get_allowed"], cfg)
        make_origin = fresh_allowed_origin if cfg.wildcards else fresh_refused_origin
        fresh_kind = "get_allowed" if cfg.wildcards else "get_refused"

        def pool(n: int, cfg: OriginConfig = cfg, make_origin: Any = make_origin) -> list[Environ]:
            return fresh_environs(KINDS["get_allowed"], cfg, n, make_origin)

        cases, answers = [], {}
        for s, app in apps.items():
            answers[f"{s}|warm"] = _checked(s, app, "get_allowed", warm_env)
            cases.append(Case(f"{s}|warm", app, environ=warm_env))
            if s in floors:
                continue  # a floor ignores the Origin: once is enough
            answers[f"{s}|fresh"] = _checked(s, app, fresh_kind, pool(1)[0])
            cases.append(Case(f"{s}|fresh", app, pool=pool))
        stats = measure_group(cases, settings)
        out[cfg.label] = {key: _row(stats[key], answers[key]) for key in stats}
        if progress:
            progress(f"scaling {cfg.label}: " + _brief(out[cfg.label]))
    return out


def run_adversarial(
    settings: Settings,
    subjects: Iterable[str] = tuple(SUBJECTS),
    progress: Progress | None = None,
    skipped: dict[str, str] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """The hostile requests against every subject (main origin list): ``{attack: {subject: row}}``."""
    cfg = main_config()
    apps = available(subjects, cfg, skipped if skipped is not None else {})
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, _label, kind_key, override in ADVERSARIAL:
        environ = request_environ(KINDS[kind_key], cfg, **override)
        # What a peer answers to these is a finding, not a configuration error: record it, do not judge.
        answers = {s: _checked(s, app, kind_key, environ, strict=False) for s, app in apps.items()}
        stats = measure_group([Case(s, app, environ=environ) for s, app in apps.items()], settings)
        out[key] = {s: _row(stats[s], answers[s]) for s in apps}
        if progress:
            progress(f"adversarial {key}: " + _brief(out[key]))
    return out


def _brief(rows: dict[str, dict[str, Any]]) -> str:
    return ", ".join(f"{k} {r['median_us']:.2f}µs" for k, r in rows.items())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few, short values and a 2 s end-to-end run")
    p.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups of {GROUPS}")
    p.add_argument("--no-e2e", action="store_true", help="skip gunicorn + wrk")
    p.add_argument(
        "--e2e-seconds", type=float, default=None, help="wrk duration per run (default 10, quick 2)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where results.{md,png,json} go (default benchmarks/results; --quick: a temporary directory)",
    )
    p.add_argument("--page", action="store_true", help="refresh the wall-clock part of docs/performance.md")
    args = p.parse_args(argv)
    args.groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(args.groups) - set(GROUPS)
    if unknown:
        p.error(f"unknown group(s) {sorted(unknown)}; choose from {GROUPS}")
    if args.no_e2e and "e2e" in args.groups:
        args.groups.remove("e2e")
    if args.out is None:
        # A quick run's numbers are not for publication: keep them away from the committed results.
        args.out = Path(tempfile.gettempdir()) / "cors_wsgi-bench-quick" if args.quick else HERE / "results"
    if args.quick and args.page:
        print("--quick: docs/performance.md is left as it is", file=sys.stderr)
        args.page = False
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.quick() if args.quick else Settings.full()
    started = time.monotonic()

    def progress(msg: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    skipped: dict[str, str] = {}
    results: dict[str, Any] = {
        "machine": report.machine_info(),
        "settings": {"value_time_s": settings.value_time, "repeats": settings.repeats, "quick": args.quick},
        "configuration": report.configuration_lines(),
        "skipped": skipped,
    }
    if "main" in args.groups:
        results["main"] = run_main(settings, progress=progress, skipped=skipped)
    if "scaling" in args.groups:
        results["scaling"] = run_scaling(settings, progress=progress, skipped=skipped)
    if "adversarial" in args.groups:
        results["adversarial"] = run_adversarial(settings, progress=progress, skipped=skipped)
    if "e2e" in args.groups:
        from benchmarks.e2e import run_e2e

        seconds = args.e2e_seconds or (2.0 if args.quick else 10.0)
        results["e2e"] = run_e2e(duration=seconds, rounds=1 if args.quick else 5, progress=progress)
    results["elapsed_s"] = time.monotonic() - started

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    markdown = report.render_markdown(results)
    (args.out / "results.md").write_text(markdown)
    report.render_chart(results, args.out / "results.png")
    print(markdown)
    if args.page:
        report.update_page(HERE.parent / "docs" / "performance.md", results)
    progress(f"done: {args.out / 'results.md'} and {args.out / 'results.png'}")
    return 0
