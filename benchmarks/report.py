"""Turn one run's results into the Markdown table, the PNG chart, the target verdicts and the wall-clock
section of docs/performance.md.

    md = render_markdown(results)
    render_chart(results, Path("benchmarks/results/results.png"))
    update_page(Path("docs/performance.md"), results)  # rewrites only between the two bench markers

The verdicts compare medians from one run against the thresholds of the performance issue.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.scenarios import ACTUAL_KINDS, ADVERSARIAL, KINDS
from benchmarks.subjects import CORS_SUBJECTS, SUBJECTS, describe

SECTION_START = "<!-- benchmarks:start (written by `tox -e bench`; edit benchmarks/report.py instead) -->"
SECTION_END = "<!-- benchmarks:end -->"
DISTS = ("cors_wsgi", "wsgicors", "flask-cors", "flask", "werkzeug", "gunicorn")

# Target thresholds, from the performance issue.
MAX_ADDED_US = 1.0
MAX_PREFLIGHT_US = 1.5
MAX_FLASK_OVERHEAD_SHARE = 1 / 20
FLAT_ABS_US = 0.25
FLAT_REL = 0.20
MAX_ADVERSARIAL_US = 50.0
MIN_E2E_RATIO = 0.97


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in DISTS:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    commit = _measured_commit()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(terse=True),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "versions": versions,
    }


def configuration_lines() -> list[str]:
    return describe()


# --- formatting -------------------------------------------------------------------------------------------


def us(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) < 10:
        return f"{value:.2f}"
    if abs(value) < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def signed(value: float | None) -> str:
    return "—" if value is None else ("+" if value >= 0 else "-") + us(abs(value))


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}x"


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _med(rows: dict[str, dict[str, Any]], key: str) -> float | None:
    row = rows.get(key)
    return None if row is None else float(row["median_us"])


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


# --- sections ---------------------------------------------------------------------------------------------


def machine_line(m: dict[str, Any]) -> str:
    v = m["versions"]
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['python']}, {m['os']}; {m['date']}, commit {m['commit']}. "
        f"cors_wsgi {v['cors_wsgi']}, wsgicors {v['wsgicors']}, flask-cors {v['flask-cors']}, "
        f"Flask {v['flask']}, Werkzeug {v['werkzeug']}, gunicorn {v['gunicorn']}."
    )


def wsgi_table(main: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    rows = []
    for kind_key, r in main.items():
        bare, ours, peer = _med(r, "bare"), _med(r, "cors_wsgi"), _med(r, "wsgicors")
        rows.append(
            [
                KINDS[kind_key].label,
                us(bare),
                us(ours),
                us(peer),
                signed(_diff(ours, bare)),
                signed(_diff(peer, bare)),
                ratio(ours, bare),
                ratio(ours, peer),
            ]
        )
    return table(
        ["request", "bare app", "cors_wsgi", "wsgicors", "cors_wsgi added", "wsgicors added",
         "cors_wsgi ÷ bare", "cors_wsgi ÷ wsgicors"],
        rows,
    )  # fmt: skip


def flask_table(main: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    rows = []
    for kind_key, r in main.items():
        base, peer, ours = _med(r, "flask"), _med(r, "flask_cors"), _med(r, "flask_cors_wsgi")
        peer_added, ours_added = _diff(peer, base), _diff(ours, base)
        if ours_added is not None and ours_added <= 0:
            share = "answers before Flask"
        elif peer_added and ours_added is not None and peer_added > 0:
            share = f"1/{peer_added / ours_added:.0f}"
        else:
            share = "—"
        rows.append(
            [
                KINDS[kind_key].label,
                us(base),
                us(peer),
                us(ours),
                signed(peer_added),
                signed(ours_added),
                share,
            ]
        )
    return table(
        ["request", "Flask", "+ flask-cors", "+ cors_wsgi", "flask-cors added", "cors_wsgi added",
         "cors_wsgi's share of flask-cors' cost"],
        rows,
    )  # fmt: skip


def answers_table(main: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    subjects = [s for s in SUBJECTS if any(s in r for r in main.values())]
    rows = [[KINDS[k].label, *(r[s]["answer"] if s in r else "—" for s in subjects)] for k, r in main.items()]
    return table(["request", *(SUBJECTS[s].label for s in subjects)], rows)


def scaling_table(scaling: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    subjects = [s for s in SUBJECTS if any(f"{s}|warm" in r for r in scaling.values())]
    header = ["allowed origins"]
    for s in subjects:
        label = SUBJECTS[s].label
        header += [label] if not SUBJECTS[s].cors else [f"{label} repeated", f"{label} fresh"]
    rows = []
    for cfg_label, r in scaling.items():
        row = [cfg_label]
        for s in subjects:
            row.append(us(_med(r, f"{s}|warm")))
            if SUBJECTS[s].cors:
                row.append(us(_med(r, f"{s}|fresh")))
        rows.append(row)
    return table(header, rows)


def adversarial_table(adv: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    labels = {key: label for key, label, _, _ in ADVERSARIAL}
    subjects = [s for s in SUBJECTS if any(s in r for r in adv.values())]
    rows = []
    for key, r in adv.items():
        rows.append(
            [labels[key], *(f"{us(_med(r, s))} ({r[s]['answer']})" if s in r else "—" for s in subjects)]
        )
    return table(["request", *(SUBJECTS[s].label for s in subjects)], rows)


def e2e_lines(e2e: dict[str, Any]) -> list[str]:
    rps, med = e2e["rps"], e2e["median_rps"]
    rows = [
        [
            "demo without cors_wsgi",
            ", ".join(f"{v:,.0f}" for v in rps["plain"]),
            f"{med['plain']:,.0f}",
            "1.000",
        ],
        [
            "demo with cors_wsgi",
            ", ".join(f"{v:,.0f}" for v in rps["with_cors_wsgi"]),
            f"{med['with_cors_wsgi']:,.0f}",
            f"{e2e['ratio']:.3f}",
        ],
    ]
    return table(["server", f"req/s per {e2e['duration_s']:g} s run", "median req/s", "÷ without"], rows)


# --- targets ----------------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met?) for each target of the performance issue; None = not measured."""
    out: list[tuple[str, str, bool | None]] = []
    main = results.get("main", {})
    if main and all("cors_wsgi" in r and "bare" in r for r in main.values()):
        added = {
            k: _diff(_med(main[k], "cors_wsgi"), _med(main[k], "bare")) for k in ACTUAL_KINDS if k in main
        }
        worst = max(v for v in added.values() if v is not None)
        out.append(
            (
                f"cors_wsgi adds ≤ {MAX_ADDED_US} µs to the bare app on every actual request",
                ", ".join(f"{KINDS[k].label} {signed(v)} µs" for k, v in added.items()),
                worst <= MAX_ADDED_US,
            )
        )
        if "preflight_allowed" in main:
            pre = _med(main["preflight_allowed"], "cors_wsgi")
            assert pre is not None
            out.append(
                (
                    f"allowed preflight ≤ {MAX_PREFLIGHT_US} µs in total",
                    f"{us(pre)} µs",
                    pre <= MAX_PREFLIGHT_US,
                )
            )
        if all("wsgicors" in r for r in main.values()):
            ratios = {k: _med(r, "cors_wsgi") / _med(r, "wsgicors") for k, r in main.items()}  # type: ignore[operator]
            out.append(
                (
                    "cors_wsgi at or below wsgicors on every request kind",
                    "cors_wsgi ÷ wsgicors: "
                    + ", ".join(f"{KINDS[k].label} {v:.2f}x" for k, v in ratios.items()),
                    max(ratios.values()) <= 1.0,
                )
            )
    if main and all(s in r for r in main.values() for s in ("flask", "flask_cors", "flask_cors_wsgi")):
        shares = {}
        for k, r in main.items():
            peer_added = _diff(_med(r, "flask_cors"), _med(r, "flask"))
            ours_added = _diff(_med(r, "flask_cors_wsgi"), _med(r, "flask"))
            assert peer_added is not None
            assert ours_added is not None
            shares[k] = (
                ours_added / peer_added if peer_added > 0 else (0.0 if ours_added <= 0 else float("inf"))
            )
        out.append(
            (
                "Flask + cors_wsgi adds ≤ 1/20 of what flask-cors adds to Flask",
                ", ".join(
                    f"{KINDS[k].label} " + ("faster than Flask alone" if v <= 0 else f"1/{1 / v:.0f}")
                    for k, v in shares.items()
                ),
                max(shares.values()) <= MAX_FLASK_OVERHEAD_SHARE,
            )
        )
    scaling = results.get("scaling", {})
    flat = flat_added(scaling, "cors_wsgi")
    if flat:
        spans = {}
        for mode in ("warm", "fresh"):
            values = [v for key, v in flat.items() if key.endswith(f"|{mode}")]
            spans[mode] = (min(values), max(values))
        out.append(
            (
                "cors_wsgi flat from 1 to 10,000 exact origins, for a repeated and for a fresh origin on "
                f"every request (added cost varies by ≤ {FLAT_ABS_US} µs or {FLAT_REL:.0%} across sizes)",
                "added over the bare app: "
                + ", ".join(
                    f"{'repeated' if mode == 'warm' else 'fresh'} origin {signed(lo)} to {signed(hi)} µs"
                    for mode, (lo, hi) in spans.items()
                ),
                all(hi - lo <= max(FLAT_ABS_US, FLAT_REL * lo) for lo, hi in spans.values()),
            )
        )
    adv = results.get("adversarial", {})
    if adv and all("cors_wsgi" in r for r in adv.values()):
        labels = {key: label for key, label, _, _ in ADVERSARIAL}
        worst = max(float(r["cors_wsgi"]["median_us"]) for r in adv.values())
        out.append(
            (
                f"hostile ACRH / Origin answered in < {MAX_ADVERSARIAL_US:g} µs each",
                ", ".join(
                    f"{labels[k]} {us(r['cors_wsgi']['median_us'])} µs ({r['cors_wsgi']['answer']})"
                    for k, r in adv.items()
                ),
                worst < MAX_ADVERSARIAL_US,
            )
        )
    e2e = results.get("e2e")
    if e2e:
        out.append(
            (
                f"gunicorn + wrk: with cors_wsgi within {1 - MIN_E2E_RATIO:.0%} of without",
                f"{e2e['ratio']:.3f}x ({e2e['median_rps']['with_cors_wsgi']:,.0f} vs "
                f"{e2e['median_rps']['plain']:,.0f} req/s)",
                e2e["ratio"] >= MIN_E2E_RATIO,
            )
        )
    return out


def flat_added(scaling: dict[str, dict[str, dict[str, Any]]], subject: str) -> dict[str, float]:
    """``{"<list>|<mode>": µs added over the floor timed in the same group}`` for the exact lists."""
    floor = SUBJECTS[subject].floor
    out = {}
    for label, r in scaling.items():
        base = _med(r, f"{floor}|warm")
        for mode in ("warm", "fresh"):
            value = _med(r, f"{subject}|{mode}")
            if "exact" in label and base is not None and value is not None:
                out[f"{label}|{mode}"] = value - base
    return out


def targets_table(results: dict[str, Any]) -> list[str]:
    mark = {True: "met", False: "**missed**", None: "not measured"}
    return table(["target", "measured", ""], [[t, m, mark[ok]] for t, m, ok in targets(results)])


def _measured_commit() -> str:
    """The commit measured, with "+changes" when the library or the benchmarks differ from it (results
    and documents written by earlier runs do not count)."""
    here = Path(__file__).parent

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=here, check=False)  # noqa: S603, S607

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("diff", "--quiet", "HEAD", "--", "../cors_wsgi", ".", ":(exclude)results")
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("+changes" if changed.returncode == 1 else "")


# --- documents --------------------------------------------------------------------------------------------


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The section docs/performance.md shows: machine, the two headline tables and the targets."""
    s = results["settings"]
    lines = [
        f"Measured on {machine_line(results['machine'])}",
        f"In one process, subjects interleaved; median of {s['repeats']} values of "
        f"~{s['value_time_s'] * 1000:g} ms each, µs per request"
        + (" — **quick run, not for publication**" if s["quick"] else "")
        + ".",
        "",
    ]
    main = results.get("main")
    if main:
        lines += ["**Pure WSGI** (the app returns 35 bytes of JSON):", "", *wsgi_table(main), ""]
        lines += ["**Under Flask** (`/api/data`):", "", *flask_table(main), ""]
    lines += ["**Targets:**", "", *targets_table(results), ""]
    if main:
        lines += [
            "Without an `Origin`, cors_wsgi still adds `Vary: Origin` to the response (so that a shared "
            "cache never hands one origin's answer to another) where wsgicors passes the response through "
            "untouched; wsgicors also answers every preflight with 204, refused ones included.",
            "",
        ]
    return lines


def render_markdown(results: dict[str, Any]) -> str:
    lines = ["# Benchmark results", "", *summary_lines(results)]
    if "main" in results:
        lines += [
            "## What each subject answered",
            "",
            "Status code, and `+ACAO` when the origin was let in (`xN`: that many ACAO headers).",
            "",
            *answers_table(results["main"]),
            "",
        ]
    if "scaling" in results:
        lines += [
            "## Scaling with the allowed-origin list (GET, µs per request)",
            "",
            "*repeated*: the allowed origin, last in the list, on every request. *fresh*: a never-seen "
            "origin on every request (refused for exact lists; allowed by the last pattern for the "
            "wildcard list), so no cache can hide a linear scan.",
            "",
            *scaling_table(results["scaling"]),
            "",
        ]
    if "adversarial" in results:
        lines += [
            "## Hostile requests (µs per request, answer)",
            "",
            "The same request repeated (so wsgicors' `lru_cache` answers its repeats).",
            "",
            *adversarial_table(results["adversarial"]),
            "",
        ]
    if "e2e" in results:
        e = results["e2e"]
        lines += [
            "## End to end: gunicorn + wrk",
            "",
            "The demo API (`demo_app`, policy from its `cors.toml`) and the same app with the middleware "
            f"lifted off, each under gunicorn with {e['workers']} sync workers on 127.0.0.1; "
            f"`wrk -t1 -c4 -H 'Origin: http://localhost:3000'` on `GET /api/data` for {e['duration_s']:g} s "
            f"per run, {e['rounds']} alternating rounds; client and servers share the machine's 2 cores.",
            "",
            *e2e_lines(e),
            "",
        ]
    retried = [
        f"{group} / {key}"
        for group in ("main", "scaling", "adversarial")
        for key, rows in results.get(group, {}).items()
        if any(r.get("attempts", 1) > 1 for r in rows.values())
    ]
    if retried:
        lines += [
            "Measured again because other processes disturbed the first rounds (the calmest attempt is "
            "shown): " + ", ".join(retried) + ".",
            "",
        ]
    if results.get("skipped"):
        lines += ["## Left out", ""] + [f"- {k}: {v}" for k, v in results["skipped"].items()] + [""]
    lines += ["## How each layer is configured", "", *results["configuration"], ""]
    lines += [f"Whole run: {results.get('elapsed_s', 0):.0f} s.", ""]
    return "\n".join(lines)


def render_chart(results: dict[str, Any], path: Path) -> None:
    """µs/request by subject and request kind, and the scaling curves, on log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    main, scaling = results.get("main", {}), results.get("scaling", {})
    panels = [p for p in (main, scaling) if p]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 5.2), squeeze=False)
    ax_iter = iter(axes[0])
    colors = {
        "bare": "#999999",
        "cors_wsgi": "#1b7837",
        "wsgicors": "#c51b7d",
        "flask": "#555555",
        "flask_cors": "#e08214",
        "flask_cors_wsgi": "#5aae61",
    }
    if main:
        ax = next(ax_iter)
        kinds = list(main)
        subjects = [s for s in SUBJECTS if any(s in r for r in main.values())]
        width = 0.8 / len(subjects)
        for i, s in enumerate(subjects):
            xs = [k + (i - (len(subjects) - 1) / 2) * width for k in range(len(kinds))]
            ys = [main[k][s]["median_us"] if s in main[k] else 0 for k in kinds]
            ax.bar(xs, ys, width, label=SUBJECTS[s].label, color=colors[s])
        ax.set_yscale("log")
        ax.set_xticks(range(len(kinds)))
        ax.set_xticklabels([KINDS[k].label.replace(", ", ",\n") for k in kinds], fontsize=8)
        ax.set_ylabel("µs per request (median, log scale)")
        ax.set_title("Per request, by subject and request kind")
        ax.legend(fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
    if scaling:
        ax = next(ax_iter)
        exact = [label for label in scaling if "exact" in label]
        sizes = [int(label.split()[0].replace(",", "")) for label in exact]
        for s in CORS_SUBJECTS:
            for mode, style in (("fresh", "-"), ("warm", ":")):
                ys = [scaling[label].get(f"{s}|{mode}", {}).get("median_us") for label in exact]
                if any(y is None for y in ys):
                    continue
                name = f"{SUBJECTS[s].label} ({'fresh origin' if mode == 'fresh' else 'repeated origin'})"
                ax.plot(sizes, ys, style, marker="o", color=colors[s], label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("exact origins in the allowed list")
        ax.set_ylabel("µs per GET (median, log scale)")
        ax.set_title("Scaling with the origin list")
        ax.legend(fontsize=7)
        ax.grid(which="both", alpha=0.3)
    m = results["machine"]
    fig.suptitle(
        f"cors_wsgi benchmarks — {m['cpu']}, {m['cores']} cores, {m['python']}, {m['date']}", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def update_page(page: Path, results: dict[str, Any]) -> bool:
    """Replace the text between the bench markers of ``page``; False (untouched) when they are absent."""
    if not page.exists():
        return False
    text = page.read_text()
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start < 0 or end < start:
        print(f"{page}: no benchmark markers, left as it is")
        return False
    # Links relative to the page being written (docs/performance.md sits one folder down).
    results_dir = Path(os.path.relpath(Path(__file__).resolve().parent / "results", page.resolve().parent))
    block = [
        SECTION_START,
        *summary_lines(results),
        "Full tables (scaling to 10,000 origins, hostile requests, gunicorn + wrk, configurations): "
        f"[benchmarks/results/results.md]({(results_dir / 'results.md').as_posix()}).",
        "",
        "![µs per request by subject and request kind; scaling with the origin list]"
        f"({(results_dir / 'results.png').as_posix()})",
        "",
    ]
    page.write_text(text[:start] + "\n".join(block) + text[end:])
    return True
