"""cors_wsgi: Fetch-standard-correct CORS for any WSGI application.

    from cors_wsgi import CORSMiddleware

    app = CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_credentials=True)

See ``CORSPolicy`` for every setting and ``CORSMiddleware`` for per-path rules.
"""

from .errors import ConfigError
from .middleware import CORSMiddleware
from .policy import CORSPolicy

__all__ = ["CORSMiddleware", "CORSPolicy", "ConfigError"]
__version__ = "0.1.0"
