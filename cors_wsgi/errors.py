"""The one exception a bad configuration raises.

>>> from cors_wsgi import CORSPolicy, ConfigError
>>> try:
...     CORSPolicy(allow_origins=["http://localhost:3000/"])
... except ConfigError as exc:
...     print(exc)
allow_origins: 'http://localhost:3000/' has a path (an Origin never has one); did you mean 'http://localhost:3000'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(ValueError):
    """A CORS configuration that cannot be used, raised at construction time.

    The message always starts with the field name and shows the offending value with ``repr()``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` did you mean 'x'?`` for the closest choice, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
