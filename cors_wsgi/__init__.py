"""cors_wsgi: Fetch-standard-correct CORS for any WSGI application.

    from cors_wsgi import CORSMiddleware

    app = CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_credentials=True)

See ``CORSPolicy`` for every setting and ``CORSMiddleware`` for per-path rules.
"""

from .config import config_from_mapping, load_config
from .errors import ConfigError
from .middleware import CORSMiddleware
from .policy import CORSPolicy

__all__ = ["CORSMiddleware", "CORSPolicy", "ConfigError", "config_from_mapping", "load_config"]
__version__ = "0.1.0"
