"""``python -m cors_wsgi check ...`` / ``python -m cors_wsgi lint ...``: see cors_wsgi.cli."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
