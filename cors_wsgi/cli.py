"""``python -m cors_wsgi``: check any server's CORS answers like a browser would, lint a CORS config.

    python -m cors_wsgi check http://localhost:5000/api/items --origin http://localhost:3000
    python -m cors_wsgi check http://localhost:5000/api/items --origin http://localhost:3000 \\
        -X PUT -H 'Content-Type: application/json' --credentials
    python -m cors_wsgi lint demo_app/cors.toml --strict

Exit status: 0 pass, 1 CORS failure (check) or findings that fail (lint), 2 usage or network error.
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .checker import BadRequest, TransportError, check_url
from .checker.model import BROWSERS
from .checker.render import render_text
from .checker.runner import MAX_REDIRECTS

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

CHECK_EPILOG = """\
The request is built as fetch() builds it: a preflight (OPTIONS) is sent first when the method is not
GET/HEAD/POST or a header is not CORS-safelisted, then the request itself; each answer goes through the
browser's checks and a failure is printed the way Chromium's console prints it, with the fix.

exit status:
  0  PASS: a script on <origin> can read the response
  1  FAIL: the browser would block it (reason and fix printed)
  2  usage error, or the server could not be reached

examples:
  python -m cors_wsgi check http://localhost:5000/api/items --origin http://localhost:3000
  python -m cors_wsgi check http://localhost:5000/api/items --origin http://localhost:3000 \\
      -X PUT -H 'Content-Type: application/json' -H 'X-Demo-Token: t' --credentials
  python -m cors_wsgi check https://api.example.com/v1/me --origin https://app.example.com \\
      -H 'Authorization: Bearer x' --credentials --json
"""

LINT_EPILOG = """\
Errors are what cors_wsgi refuses to build (the app would not start); warnings are legal but risky.
Lint runs no code from the file: an allow_origin_func = "module:attr" is checked to be well formed and its
module findable, not imported, unless --import is given. Safe on untrusted files (pull requests).

exit status:
  0  no errors (and, with --strict, no warnings)
  1  errors found (or warnings with --strict)
  2  usage error (file missing, unreadable)

examples:
  python -m cors_wsgi lint demo_app/cors.toml
  python -m cors_wsgi lint cors.toml --strict --json
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (status 2), like curl's."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (try '{self.prog} --help')\n")


class _CurlStyle(argparse.RawDescriptionHelpFormatter):
    """Options listed the way curl lists them: ``-H, --header <header>`` rather than argparse's repeat."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        metavar = self._metavar_formatter(action, action.dest.upper())(1)[0]
        return f"{', '.join(action.option_strings)} {metavar}"


def _formatter(prog: str) -> argparse.HelpFormatter:
    return _CurlStyle(prog, max_help_position=34, width=110)


def build_parser(prog: str = "python -m cors_wsgi") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        usage="%(prog)s <command> [options...]",
        description="CORS tools: check a server like a browser would, lint a cors_wsgi config.",
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"cors-wsgi {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)

    check = commands.add_parser(
        "check",
        prog=f"{prog} check",
        usage="%(prog)s [options...] <url> --origin <origin>",
        help="would a browser let a page on <origin> read <url>?",
        description="Check, as a browser's fetch() would, whether a page on <origin> may read <url>.",
        epilog=CHECK_EPILOG,
        formatter_class=_formatter,
    )
    check.set_defaults(prog=check.prog)
    check.add_argument("url", metavar="<url>", help="the resource, http:// or https://")
    check.add_argument(
        "--origin",
        required=True,
        metavar="<origin>",
        help="origin of the calling page, e.g. http://localhost:3000",
    )
    check.add_argument(
        "-X",
        "--request",
        "--method",
        dest="method",
        default="GET",
        metavar="<method>",
        help="HTTP method (default GET)",
    )
    check.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="<header>",
        help="request header the script sets, 'Name: value' (repeatable)",
    )
    check.add_argument("-d", "--data", metavar="<data>", help="request body (not with GET or HEAD)")
    check.add_argument(
        "--credentials", action="store_true", help="credentials: 'include' (cookies sent, stricter rules)"
    )
    check.add_argument(
        "-b", "--cookie", metavar="<data>", help="Cookie header the browser attaches (with --credentials)"
    )
    check.add_argument(
        "--private-network",
        action="store_true",
        help="public page to private address: Private Network Access",
    )
    check.add_argument(
        "-m",
        "--max-time",
        type=float,
        default=10.0,
        metavar="<seconds>",
        help="timeout per request (default 10)",
    )
    check.add_argument(
        "--max-redirs",
        type=int,
        default=MAX_REDIRECTS,
        metavar="<num>",
        help="redirects to follow (default 20)",
    )
    check.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    check.add_argument(
        "--browser",
        choices=BROWSERS,
        default="chromium",
        help="the engine whose verdict to give where engines differ (default chromium; see docs/browsers.md)",
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("-v", "--verbose", action="store_true", help="show every header and the body preview")

    lint = commands.add_parser(
        "lint",
        prog=f"{prog} lint",
        usage="%(prog)s [options...] <config.toml>",
        help="find dangerous or broken rules in a cors_wsgi TOML config",
        description="Report every error and risky choice in a cors_wsgi TOML config, with its rule and path.",
        epilog=LINT_EPILOG,
        formatter_class=_formatter,
    )
    lint.set_defaults(prog=lint.prog)
    lint.add_argument("path", metavar="<config.toml>", help="the file load_config() reads")
    lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    lint.add_argument("--json", action="store_true", help="machine-readable output")
    lint.add_argument(
        "--use-env",
        action="store_true",
        help="apply CORS_ALLOW_ORIGINS from the environment, as the running app does",
    )
    lint.add_argument(
        "--import",
        dest="import_functions",
        action="store_true",
        help="import allow_origin_func modules (runs their code); by default lint runs none",
    )
    return parser


def _header(raw: str) -> tuple[str, str]:
    name, colon, value = raw.partition(":")
    if not colon or not name.strip():
        raise BadRequest(f"-H {raw!r}: write a header as 'Name: value'")
    return name.strip(), value.strip()


def run_check(args: argparse.Namespace) -> int:
    try:
        headers = [_header(raw) for raw in args.headers]
        if args.max_time <= 0:
            raise BadRequest("--max-time must be a positive number of seconds")
        if args.cookie and not args.credentials:
            raise BadRequest("--cookie is only sent with --credentials (as a browser does)")
        verdict = check_url(
            args.url,
            args.origin,
            method=args.method,
            headers=headers,
            credentials=args.credentials,
            body=args.data.encode("utf-8") if args.data is not None else None,
            private_network=args.private_network,
            cookie=args.cookie,
            timeout=args.max_time,
            insecure=args.insecure,
            max_redirects=args.max_redirs,
            browser=args.browser,
        )
    except BadRequest as exc:
        print(f"{args.prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TransportError as exc:
        print(f"{args.prog}: cannot reach the server: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        print(render_text(verdict, verbose=args.verbose))
    return EXIT_OK if verdict.passed else EXIT_FAIL


def run_lint(args: argparse.Namespace) -> int:
    from .lint import LintUsageError, exit_status, lint_file, render_findings

    try:
        findings = lint_file(args.path, use_env=args.use_env, import_functions=args.import_functions)
    except LintUsageError as exc:
        print(f"{args.prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    else:
        print(render_findings(args.path, findings))
    return exit_status(findings, strict=args.strict)


def main(argv: Sequence[str] | None = None) -> int:
    # The console script is `cors-wsgi`; `python -m cors_wsgi` runs the same code.
    invoked = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    parser = build_parser("cors-wsgi" if invoked == "cors-wsgi" else "python -m cors_wsgi")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "lint":
            return run_lint(args)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `... | head`: the reader left; stop quietly instead of printing a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    parser.print_help(sys.stderr)
    return EXIT_USAGE
