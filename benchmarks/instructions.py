"""CPU instructions per request, counted by valgrind's callgrind over just the measured loop.

    python -m benchmarks.instructions                 # the table, and results/instructions.md
    python -m benchmarks.instructions --requests 500  # quicker, same ratios within a few percent

Wall-clock on a shared machine drifts from run to run; an instruction count for the same interpreter, code
and inputs does not. Every case runs in one process under ``valgrind --tool=callgrind
--collect-atstart=no``: a tiny C library loaded with ctypes switches collection on just before a case's
loop and off right after it (callgrind's client requests), and dumps the count under the case's name. The
loop is the same for every subject, so subtracting the bare app's count leaves what a CORS layer adds.

Ratios are against ``benchmarks.minimal.MinimalCORS``, the hand-written floor: for requests that reach
the app, (layer - bare app) / (floor - bare app); for preflights, which never reach it, the whole cost.

Every measured request gets the environ a server would build for it (``server_built``): a new dict, whose
header names and every string value are new ``str`` objects. A string caches its hash once computed, so
handing every request the same objects would make each dict or set lookup of a header value look free;
a server decodes each request from bytes, and every layer here pays for hashing what it looks up.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.minimal import MinimalCORS
from benchmarks.scenarios import (
    CREDENTIALS,
    HEADERS,
    KINDS,
    MAX_AGE,
    METHODS,
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
from benchmarks.subjects import WSGIApp, bare_app, cors_wsgi_policy, flask_app

HERE = Path(__file__).resolve().parent

_REGION_C = r"""
#include <valgrind/callgrind.h>
void region_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_TOGGLE_COLLECT; }
void region_stop(const char *name) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS_AT(name); }
"""

TEN_HEADERS = tuple(f"x-h{i}" for i in range(10))
# A configured regex shaped for catastrophic backtracking, and an Origin crafted against it (issue class:
# ReDoS through configuration); only run where the policy accepts the pattern.
BACKTRACKING_REGEX = r"https://(a|a)+\.example\.com"
HOSTILE_ORIGIN = "https://" + "a" * 300 + ".example.org"  # 320 characters: the longest Origin judged
SAFE_REWRITE = r"https://a+\.example\.com"


# --- the subjects, each configured like the others --------------------------------------------------------


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def cors_wsgi(cfg: OriginConfig, headers: tuple[str, ...] = HEADERS, app: WSGIApp = bare_app) -> WSGIApp:
    from cors_wsgi import CORSMiddleware

    return CORSMiddleware(app, cors_wsgi_policy(cfg, headers))


def cors_wsgi_guarded(cfg: OriginConfig) -> WSGIApp:
    """cors_wsgi as configured for the other cases, with the cross-origin write guard on."""
    from cors_wsgi import CORSMiddleware

    return CORSMiddleware(bare_app, cors_wsgi_policy(cfg), csrf_protection=True)


def cors_wsgi_rules(cfg: OriginConfig) -> WSGIApp:
    from cors_wsgi import CORSMiddleware

    return CORSMiddleware(bare_app, rules=[("/api/*", cors_wsgi_policy(cfg))])


def minimal(cfg: OriginConfig, headers: tuple[str, ...] = HEADERS) -> WSGIApp:
    return MinimalCORS(
        bare_app,
        exact=cfg.exact,
        wildcards=cfg.wildcards,
        methods=METHODS,
        headers=headers,
        credentials=CREDENTIALS,
        max_age=MAX_AGE,
    )


def wsgicors(cfg: OriginConfig) -> WSGIApp:
    from benchmarks.subjects import SUBJECTS

    return SUBJECTS["wsgicors"].build(cfg)


# --- the cases ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str  # "<scenario>/<subject>"
    build: Callable[[], WSGIApp]
    environs: Callable[[int], list[Environ]]  # n -> the environs of n requests (the same one, or fresh)


def _same(environ: Environ) -> Callable[[int], list[Environ]]:
    return lambda n: [environ] * n


def _shuffled_headers(n: int) -> list[Environ]:
    base = request_environ(KINDS["preflight_allowed"], main_config())
    rng = random.Random(7)  # noqa: S311 - a repeatable order, not a secret
    out = []
    for _ in range(n):
        names = list(TEN_HEADERS)
        rng.shuffle(names)
        env = base.copy()
        env["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = ",".join(names)
        out.append(env)
    return out


def _new_paths(n: int) -> list[Environ]:
    base = request_environ(KINDS["get_allowed"], main_config())
    return [{**base, "PATH_INFO": f"/api/items/{i}"} for i in range(n)]


def cases() -> list[Case]:
    main = main_config()
    out: list[Case] = []
    for kind in ("get_allowed", "get_refused", "get_no_origin", "preflight_allowed", "preflight_refused"):
        env = request_environ(KINDS[kind], main)
        for subject, build in (
            ("bare", lambda: bare_app),
            ("minimal", lambda: minimal(main)),
            ("cors_wsgi", lambda: cors_wsgi(main)),
            ("wsgicors", lambda: wsgicors(main)),
        ):
            out.append(Case(f"{kind}/{subject}", build, _same(env)))
    out += [
        Case(
            "preflight_10_headers_fresh_order/minimal", lambda: minimal(main, TEN_HEADERS), _shuffled_headers
        ),
        Case(
            "preflight_10_headers_fresh_order/cors_wsgi",
            lambda: cors_wsgi(main, TEN_HEADERS),
            _shuffled_headers,
        ),
    ]
    big, wild = exact_config(10_000), wildcard_config(100)
    for label, cfg, make in (
        ("fresh_origin_10000_exact", big, fresh_refused_origin),
        ("fresh_origin_100_wildcards", wild, fresh_allowed_origin),
    ):

        def pool(n: int, cfg: OriginConfig = cfg, make: Any = make) -> list[Environ]:
            return fresh_environs(KINDS["get_allowed"], cfg, n, make)

        out += [
            Case(f"{label}/bare", lambda: bare_app, pool),
            Case(f"{label}/minimal", lambda cfg=cfg: minimal(cfg), pool),
            Case(f"{label}/cors_wsgi", lambda cfg=cfg: cors_wsgi(cfg), pool),
        ]
    # Per-path rules: the route each path takes is remembered, so a new path each request (an API with
    # ids in its paths) is the case that pays for looking it up.
    allowed = request_environ(KINDS["get_allowed"], main)
    for label, environs in (
        ("get_allowed_rules_same_path", _same(allowed)),
        ("get_allowed_rules_new_path", _new_paths),
    ):
        out += [
            Case(f"{label}/bare", lambda: bare_app, environs),
            Case(f"{label}/cors_wsgi", lambda: cors_wsgi_rules(main), environs),
        ]
    # Observing decisions (report_only, on_decision): the same requests, cors_wsgi with the option on.
    for kind in ("get_allowed", "get_refused", "preflight_allowed"):
        env = request_environ(KINDS[kind], main)
        out += [
            Case(f"{kind}/cors_wsgi_report_only", lambda: _observed(main, report_only=True), _same(env)),
            Case(f"{kind}/cors_wsgi_on_decision", lambda: _observed(main, on_decision=True), _same(env)),
        ]
    # The write guard: every request kind with it on, and writes (a POST the rule allows, a same-origin
    # POST, a forged one it refuses) with it off and on.
    for kind in ("get_allowed", "get_refused", "get_no_origin", "preflight_allowed", "preflight_refused"):
        env = request_environ(KINDS[kind], main)
        out.append(Case(f"{kind}/cors_wsgi_guard", lambda: cors_wsgi_guarded(main), _same(env)))
    for label, env in GUARD_WRITES.items():
        out += [
            Case(f"{label}/bare", lambda: bare_app, _same(env)),
            Case(f"{label}/cors_wsgi", lambda: cors_wsgi(main), _same(env)),
            Case(f"{label}/cors_wsgi_guard", lambda: cors_wsgi_guarded(main), _same(env)),
        ]
    hostile_acrh = request_environ(
        KINDS["preflight_allowed"], main, HTTP_ACCESS_CONTROL_REQUEST_HEADERS=",".join(["x"] * 2048)[:4095]
    )
    out.append(Case("hostile_acrh_2047_repeats/cors_wsgi", lambda: cors_wsgi(main), _same(hostile_acrh)))
    # 100 distinct names, none allowed, 4,096 characters: the most a preflight may ask for.
    distinct = ",".join(f"x-{i:03d}-" + "h" * 34 for i in range(100))[:4096].rstrip(",")
    hostile_names = request_environ(
        KINDS["preflight_allowed"], main, HTTP_ACCESS_CONTROL_REQUEST_HEADERS=distinct
    )
    out.append(Case("hostile_acrh_100_names/cors_wsgi", lambda: cors_wsgi(main), _same(hostile_names)))
    out.append(Case("hostile_acrh_100_names/minimal", lambda: minimal(main), _same(hostile_names)))
    out.append(Case("hostile_acrh_2047_repeats/minimal", lambda: minimal(main), _same(hostile_acrh)))
    hostile_origin = request_environ(KINDS["get_allowed"], main, HTTP_ORIGIN=HOSTILE_ORIGIN)
    # Where the pattern is accepted, one such request runs for hours under valgrind: nothing to count.
    out.append(Case("hostile_origin_vs_backtracking_regex/cors_wsgi", _backtracking, _same(hostile_origin)))
    for kind in ("get_allowed", "get_refused", "preflight_allowed"):
        env = request_environ(KINDS[kind], main)
        out += [
            Case(f"flask_{kind}/flask", flask_app, _same(env)),
            Case(f"flask_{kind}/flask_cors", _flask_cors, _same(env)),
            Case(f"flask_{kind}/flask_cors_wsgi", _flask_cors_wsgi, _same(env)),
            Case(f"flask_{kind}/flask_minimal", _flask_minimal, _same(env)),
        ]
    return out


_POST = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "text/plain"}
GUARD_WRITES: dict[str, Environ] = {
    # A credentialed fetch POST from the listed frontend (another port of the same site).
    "post_allowed": request_environ(
        KINDS["get_allowed"], main_config(), HTTP_SEC_FETCH_SITE="same-site", **_POST
    ),
    # A form POST from the API's own pages.
    "post_same_origin": request_environ(
        KINDS["get_no_origin"],
        main_config(),
        HTTP_ORIGIN="http://127.0.0.1:8000",
        HTTP_SEC_FETCH_SITE="same-origin",
        **_POST,
    ),
    # A forged form POST from an unlisted site: refused 403 with the guard on.
    "post_forged": request_environ(
        KINDS["get_refused"], main_config(), HTTP_SEC_FETCH_SITE="cross-site", **_POST
    ),
}


def _observed(cfg: OriginConfig, *, report_only: bool = False, on_decision: bool = False) -> WSGIApp:
    """cors_wsgi as configured for the other cases, with a stricter candidate or a counting callback."""
    from cors_wsgi import CORSMiddleware

    policy = cors_wsgi_policy(cfg)
    counts: dict[bool, int] = {}

    def count(event: Any) -> None:
        counts[event.allowed] = counts.get(event.allowed, 0) + 1

    return CORSMiddleware(
        bare_app,
        policy,
        report_only=policy.replace(allow_origins=[cfg.allowed]) if report_only else None,
        on_decision=count if on_decision else None,
    )


def _backtracking() -> WSGIApp:
    """The crafted Origin against the backtracking-prone regex where a policy accepts it; where it is
    refused at construction, against the rewrite a user then writes (``a+`` for ``(a|a)+``)."""
    from cors_wsgi import ConfigError, CORSMiddleware

    try:
        return CORSMiddleware(bare_app, allow_origin_regex=BACKTRACKING_REGEX)
    except ConfigError:
        return CORSMiddleware(bare_app, allow_origin_regex=SAFE_REWRITE)


def _backtracking_is_refused() -> bool:
    from cors_wsgi import ConfigError, CORSPolicy

    try:
        CORSPolicy(allow_origin_regex=BACKTRACKING_REGEX)
    except ConfigError:
        return True
    return False


def _flask_cors() -> WSGIApp:
    from benchmarks.subjects import SUBJECTS

    return SUBJECTS["flask_cors"].build(main_config())


def _flask_cors_wsgi() -> WSGIApp:
    from benchmarks.subjects import SUBJECTS

    return SUBJECTS["flask_cors_wsgi"].build(main_config())


def _flask_minimal() -> WSGIApp:
    """The hand-written floor under the same Flask app: what any layer that answers costs there."""
    app = flask_app()
    floor = minimal(main_config())
    floor.app = app.wsgi_app
    app.wsgi_app = floor
    return app  # type: ignore[no-any-return]


# --- inside valgrind --------------------------------------------------------------------------------------


def server_built(environ: Environ) -> Environ:
    """``environ`` as a server builds it for a new request: a new dict, new ``str`` objects for the
    header names (``HTTP_*``, made from the request's bytes) and for every string value."""

    def new(text: str) -> str:
        return text.encode("latin-1").decode("latin-1")  # a new object, its hash not yet computed

    return {
        (new(key) if key.startswith("HTTP_") else key): (new(value) if isinstance(value, str) else value)
        for key, value in environ.items()
    }


def _run(app: WSGIApp, environs: list[Environ]) -> None:
    sr = _start_response
    for environ in environs:
        body = app(environ, sr)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()


def inside(library: str, requests: int, flask_requests: int, only: str | None) -> None:
    region = ctypes.CDLL(library)
    region.region_stop.argtypes = [ctypes.c_char_p]
    for case in cases():
        if only and not re.search(only, case.name):
            continue
        if case.build is _backtracking and not _backtracking_is_refused():
            continue
        n = flask_requests if case.name.startswith("flask") else requests
        app = case.build()
        _run(app, [server_built(e) for e in case.environs(20)])  # warm: imports, memos, caches
        environs = [server_built(e) for e in case.environs(n)]
        # The cyclic garbage collector runs when allocation counts say so, at different points for
        # different subjects: under Flask its passes are larger than what a CORS layer adds. Counted with
        # it off, each case measures its own work (reference counting still frees everything).
        gc.collect()
        gc.disable()
        region.region_start()
        _run(app, environs)
        region.region_stop(f"{case.name}@{n}".encode())
        gc.enable()


# --- outside: run valgrind, read the dumps ----------------------------------------------------------------


def build_region_library(directory: Path) -> Path:
    source, library = directory / "region.c", directory / "libregion.so"
    source.write_text(_REGION_C)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise SystemExit("a C compiler (cc) is needed to build the callgrind region helper")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(library), str(source)], check=True)  # noqa: S603
    return library


def count(requests: int = 2000, flask_requests: int = 300, only: str | None = None) -> dict[str, float]:
    """Instructions per request for every case, keyed ``scenario/subject``."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        library = build_region_library(directory)
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            f"--callgrind-out-file={directory}/cg.out",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--inside",
            str(library),
            "--requests",
            str(requests),
            "--flask-requests",
            str(flask_requests),
        ]
        if only:
            command += ["--only", only]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, cwd=HERE.parent, env=env, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"the run under valgrind failed:\n{done.stderr[-3000:]}")
        return parse_dumps(directory)


def parse_dumps(directory: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for dump in sorted(directory.glob("cg.out.*")):
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
        total = re.search(r"^(?:totals|summary): (\d+)", text, re.MULTILINE)
        if trigger is None or total is None:
            continue
        name, _, n = trigger.group(1).rpartition("@")
        out[name] = int(total.group(1)) / int(n)
    return out


# --- the table ------------------------------------------------------------------------------------------

# (scenario, label, target ratio against the floor, whether the cost is measured over the bare app)
TARGETS: tuple[tuple[str, str, float, bool], ...] = (
    ("get_allowed", "GET, allowed origin", 1.25, True),
    ("get_refused", "GET, refused origin", 1.25, True),
    ("get_no_origin", "GET, no Origin", 1.25, True),
    ("preflight_allowed", "preflight, allowed", 1.25, False),
    ("preflight_refused", "preflight, refused origin", 1.25, False),
    (
        "preflight_10_headers_fresh_order",
        "preflight, 10 request headers in a new order (memo missed)",
        3.0,
        False,
    ),
    ("fresh_origin_10000_exact", "GET, fresh origin each request, 10,000 exact origins", 1.5, True),
    ("fresh_origin_100_wildcards", "GET, fresh origin each request, 100 wildcard patterns", 1.5, True),
)


def _added(counts: dict[str, float], scenario: str, subject: str, over_bare: bool) -> float | None:
    value = counts.get(f"{scenario}/{subject}")
    if value is None:
        return None
    if scenario.startswith("preflight") or not over_bare:
        return value
    bare = counts.get(f"{scenario}/bare")
    return None if bare is None else value - bare


def table(counts: dict[str, float]) -> str:
    lines = [
        "| request | floor (minimal layer) | cors_wsgi | ratio | target | wsgicors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for scenario, label, target, over_bare in TARGETS:
        floor = _added(counts, scenario, "minimal", over_bare)
        ours = _added(counts, scenario, "cors_wsgi", over_bare)
        peer = _added(counts, scenario, "wsgicors", over_bare)
        if floor is None or ours is None:
            continue
        ratio = ours / floor
        verdict = "met" if ratio <= target else "missed"
        peer_text = f"{peer:,.0f}" if peer is not None else "-"
        lines.append(
            f"| {label} | {floor:,.0f} | {ours:,.0f} | {ratio:.2f}x | ≤ {target}x ({verdict}) | {peer_text} |"
        )
    lines += [
        "",
        "| under Flask | Flask alone | + flask-cors (added) | + cors_wsgi (added) | share | + floor (added) "
        "| floor's share |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in ("get_allowed", "get_refused", "preflight_allowed"):
        base = counts.get(f"flask_{kind}/flask")
        fc = counts.get(f"flask_{kind}/flask_cors")
        cw = counts.get(f"flask_{kind}/flask_cors_wsgi")
        fl = counts.get(f"flask_{kind}/flask_minimal")
        if base is None or fc is None or cw is None:
            continue
        added_fc = fc - base
        ours = f"{cw - base:,.0f} | {_share(added_fc, cw - base)}"
        floor_cells = "- | -" if fl is None else f"{fl - base:,.0f} | {_share(added_fc, fl - base)}"
        lines.append(f"| {kind} | {base:,.0f} | {added_fc:,.0f} | {ours} | {floor_cells} |")
    lines += [
        "",
        "| observing (cors_wsgi's own instructions) | plain | + report_only | + on_decision |",
        "|---|---:|---:|---:|",
    ]
    for kind, label in (
        ("get_allowed", "GET, allowed origin"),
        ("get_refused", "GET, refused origin"),
        ("preflight_allowed", "preflight, allowed"),
    ):
        plain = _added(counts, kind, "cors_wsgi", True)
        report_only = _added(counts, kind, "cors_wsgi_report_only", True)
        on_decision = _added(counts, kind, "cors_wsgi_on_decision", True)
        if plain is None or report_only is None or on_decision is None:
            continue
        lines.append(f"| {label} | {plain:,.0f} | {report_only:,.0f} | {on_decision:,.0f} |")
    plain = _added(counts, "get_allowed", "cors_wsgi", True)
    same = _added(counts, "get_allowed_rules_same_path", "cors_wsgi", True)
    new = _added(counts, "get_allowed_rules_new_path", "cors_wsgi", True)
    if plain is not None and same is not None and new is not None:
        lines += [
            "",
            "| per-path rules, GET allowed (cors_wsgi's added instructions) | one policy "
            '| `rules=[("/api/*", policy)]`, the same path | the same rules, a new path each request |',
            "|---|---:|---:|---:|",
            f"| `/api/data`, `/api/items/<n>` | {plain:,.0f} | {same:,.0f} | {new:,.0f} |",
        ]
    guard_rows = [
        (f"{kind}", label, "≤ 2%") for kind, label, _t, _b in TARGETS if kind in ACTUAL_AND_PREFLIGHT
    ] + [
        ("post_allowed", "POST, allowed origin (Sec-Fetch-Site: same-site)", "≤ +1,000"),
        ("post_same_origin", "POST, same origin (Sec-Fetch-Site: same-origin)", "≤ +1,000"),
        ("post_forged", "POST, forged from an unlisted site (refused 403 when on)", "-"),
    ]
    lines += [
        "",
        "| write guard (cors_wsgi's own instructions) | guard off | guard on | added | target |",
        "|---|---:|---:|---:|---|",
    ]
    for scenario, label, goal in guard_rows:
        off = _added(counts, scenario, "cors_wsgi", True)
        on = _added(counts, scenario, "cors_wsgi_guard", True)
        if off is None or on is None:
            continue
        added = on - off
        lines.append(f"| {label} | {off:,.0f} | {on:,.0f} | {added:+,.0f} ({added / off:+.1%}) | {goal} |")
    hostile = [
        ("hostile_acrh_2047_repeats", "preflight, ACRH of 2,047 repeated names (4,095 chars)"),
        ("hostile_acrh_100_names", "preflight, ACRH of 100 distinct names, none allowed (4,096 chars)"),
        (
            "hostile_origin_vs_backtracking_regex",
            f"GET, {len(HOSTILE_ORIGIN)}-char Origin crafted against `{_table_cell(BACKTRACKING_REGEX)}`"
            + (
                f" (refused at construction; counted against the rewrite `{SAFE_REWRITE}`)"
                if _backtracking_is_refused()
                else ""
            ),
        ),
    ]
    allowed_get = counts.get("get_allowed/cors_wsgi")
    lines += [
        "",
        "| hostile request | cors_wsgi (whole request) | ÷ an allowed GET (target ≤ 25x) | floor |",
        "|---|---:|---:|---:|",
    ]
    for scenario, label in hostile:
        ours = counts.get(f"{scenario}/cors_wsgi")
        floor = counts.get(f"{scenario}/minimal")
        if ours is None:
            continue
        times = f"{ours / allowed_get:.1f}x" if allowed_get else "-"
        lines.append(f"| {label} | {ours:,.0f} | {times} | {f'{floor:,.0f}' if floor else '-'} |")
    return "\n".join(lines)


ACTUAL_AND_PREFLIGHT = (
    "get_allowed",
    "get_refused",
    "get_no_origin",
    "preflight_allowed",
    "preflight_refused",
)


def _share(peer_added: float, added: float) -> str:
    return f"1/{peer_added / added:.0f}" if added > 0 else "below zero: answered before Flask"


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|")  # a bare pipe would split the Markdown table cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instructions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--flask-requests", type=int, default=300)
    parser.add_argument("--only", help="regex: run only the matching cases")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        inside(args.inside, args.requests, args.flask_requests, args.only)
        return 0
    counts = count(args.requests, args.flask_requests, args.only)
    text = table(counts)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "instructions.json").write_text(json.dumps(counts, indent=2, sort_keys=True))
    (args.out / "instructions.md").write_text(
        "# Instructions per request (valgrind callgrind, measured region only)\n\n"
        f"Python {sys.version.split()[0]}; {args.requests} requests per case ({args.flask_requests} under "
        "Flask). Ratio: cors_wsgi / the hand-written minimal layer (`benchmarks/minimal.py`), "
        "over the bare app for requests that reach it, whole cost for preflights.\n\n" + text + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
