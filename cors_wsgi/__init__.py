"""cors_wsgi: Fetch-standard-correct CORS for any WSGI application.

    from cors_wsgi import CORSMiddleware

    app = CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_credentials=True)

Public API:

- ``CORSMiddleware``: wraps a WSGI app; one ``CORSPolicy``, per-path ``rules=[(glob, policy), ...]``, or
  the policy's fields as keywords; ``debug``, ``catch_exceptions``, ``report_only``, ``on_decision``,
  ``csrf_protection`` and ``csrf_exempt`` (cross-origin writes only from the origins a rule allows);
  ``CORSMiddleware.from_config(app, "cors.toml")``, ``reconfigure()``, ``reload_config()``.
- ``CORSPolicy``: who may read what, validated and immutable (every field is documented there).
- ``ConfigError``: every mistake of a configuration at once (``.errors``), each naming field and value.
- ``load_config`` / ``config_from_mapping``: rules from a TOML file or a mapping.
- ``check_wsgi``: what a browser would conclude about a WSGI app's answers (``cors-wsgi check`` for URLs).
- ``decide`` / ``Decision``: the pure decision for one request's plain values (what the middleware sends);
  ``Refusal`` and the module ``refusals``: why a request was refused, as stable codes.
- ``DecisionEvent``: what ``on_decision`` receives for each CORS request and each refused cross-origin write.

Logging goes to the ``cors_wsgi`` logger (``cors_wsgi.report`` for report-only records); the library adds
only a ``NullHandler``, so nothing is printed unless the application configures logging.
"""

import logging

from . import refusals
from .checker import check_wsgi
from .config import config_from_mapping, load_config
from .decision import Decision, decide
from .errors import ConfigError
from .middleware import CORSMiddleware
from .observe import DecisionEvent
from .policy import CORSPolicy
from .refusals import Refusal

logging.getLogger("cors_wsgi").addHandler(logging.NullHandler())

__all__ = [
    "CORSMiddleware",
    "CORSPolicy",
    "ConfigError",
    "Decision",
    "DecisionEvent",
    "Refusal",
    "check_wsgi",
    "config_from_mapping",
    "decide",
    "load_config",
    "refusals",
]
__version__ = "0.1.0"
