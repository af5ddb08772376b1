"""cors_wsgi: Fetch-standard-correct CORS for any WSGI application.

    from cors_wsgi import CORSMiddleware

    app = CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_credentials=True)

See ``CORSPolicy`` for every setting and ``CORSMiddleware`` for per-path rules.
"""

from typing import TYPE_CHECKING, Any

from .config import config_from_mapping, load_config
from .errors import ConfigError
from .middleware import CORSMiddleware
from .policy import CORSPolicy

if TYPE_CHECKING:
    from .checker import check_wsgi


def __getattr__(name: str) -> Any:
    # The checker (a debugging tool) is imported on first use, so the middleware alone loads faster.
    if name == "check_wsgi":
        from .checker import check_wsgi

        return check_wsgi
    raise AttributeError(f"module 'cors_wsgi' has no attribute {name!r}")


__all__ = ["CORSMiddleware", "CORSPolicy", "ConfigError", "check_wsgi", "config_from_mapping", "load_config"]
__version__ = "0.1.0"
