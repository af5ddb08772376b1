"""Where one subject spends its time on one kind of request: cProfile, or pyinstrument when installed.

    python -m benchmarks.profile cors_wsgi preflight_refused
    python -m benchmarks.profile flask_cors_wsgi get_allowed --calls 20000 --pyinstrument
    python -m benchmarks.profile cors_wsgi acrh_commas          # the hostile requests by their key

Subjects and request kinds are the benchmark's own (``subjects.SUBJECTS``, ``scenarios.KINDS`` and the
keys of ``scenarios.ADVERSARIAL``), against the main origin list.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

from benchmarks.scenarios import ADVERSARIAL, KINDS, Environ, main_config, request_environ
from benchmarks.subjects import SUBJECTS
from benchmarks.timing import WSGIApp, start_response


def environ_for(key: str) -> Environ:
    cfg = main_config()
    for adv_key, _label, kind, override in ADVERSARIAL:
        if adv_key == key:
            return request_environ(KINDS[kind], cfg, **override)
    return request_environ(KINDS[key], cfg)


def drive(app: WSGIApp, environ: Environ, calls: int) -> None:
    for _ in range(calls):
        body = app(environ, start_response)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()


def main(argv: list[str] | None = None) -> int:
    kinds = [*KINDS, *(key for key, *_ in ADVERSARIAL)]
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0])
    p.add_argument("subject", choices=list(SUBJECTS))
    p.add_argument("kind", choices=kinds)
    p.add_argument("--calls", type=int, default=50_000)
    p.add_argument("--top", type=int, default=15, help="functions to list (cProfile)")
    p.add_argument("--pyinstrument", action="store_true", help="use pyinstrument (a sampling profiler)")
    args = p.parse_args(argv)
    app = SUBJECTS[args.subject].build(main_config())
    environ = environ_for(args.kind)
    drive(app, environ, min(args.calls, 1000))  # warm up: first calls build caches and memos
    if args.pyinstrument:
        from pyinstrument import Profiler

        with Profiler(interval=0.0001) as sampler:
            drive(app, environ, args.calls)
        print(sampler.output_text(unicode=True, color=sys.stdout.isatty()))
        return 0
    profiler = cProfile.Profile()
    profiler.runcall(drive, app, environ, args.calls)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
