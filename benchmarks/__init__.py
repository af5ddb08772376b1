"""Benchmarks: cors_wsgi against the bare app and the other CORS layers for Python, in one process.

Run everything (tables and chart land in ``benchmarks/results/``)::

    tox -e bench                       # full run, also refreshes docs/performance.md
    python -m benchmarks --quick       # a smoke-sized run in a few seconds
    python -m benchmarks --only main   # one group: main, scaling, adversarial, e2e
    python -m benchmarks.profile cors_wsgi preflight_refused   # where the time goes (cProfile/pyinstrument)

Modules, one concern each: ``scenarios`` (origin lists, request kinds, environs), ``subjects`` (the apps
under test, every CORS layer configured the same way), ``timing`` (the interleaved in-process timer),
``e2e`` (gunicorn + wrk on loopback), ``report`` (Markdown, chart, docs/performance.md), ``run`` (the
command line).
"""
