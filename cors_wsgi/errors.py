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

    The message starts with where the mistake is (``where``: a file and rule, when known), then the field
    name, and shows the offending value with ``repr()``.
    """

    def __init__(self, field: str, message: str, *, where: str | None = None) -> None:
        self.field = field
        self.message = message
        self.where = where
        text = f"{field}: {message}"
        super().__init__(f"{where}: {text}" if where else text)

    def located(self, where: str, note: str = "") -> ConfigError:
        """The same error, placed in a file or rule (``note`` is appended to the message)."""
        return ConfigError(self.field, self.message + note, where=where)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` did you mean 'x'?`` for the closest choice, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
