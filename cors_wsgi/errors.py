"""The one exception a bad configuration raises, listing every mistake at once.

>>> from cors_wsgi import CORSPolicy, ConfigError
>>> try:
...     CORSPolicy(allow_origins=["http://localhost:3000/"])
... except ConfigError as exc:
...     print(exc)
allow_origins: 'http://localhost:3000/' has a path (an Origin never has one); did you mean 'http://localhost:3000'?
>>> try:
...     CORSPolicy(allow_origins=["localhost:3000"], allow_methods=["GET "], max_age=-1)
... except ConfigError as exc:
...     print([(e.field, e.value) for e in exc.errors])
[('allow_origins', 'localhost:3000'), ('allow_methods', 'GET '), ('max_age', -1)]
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_UNSET: Any = object()


class ConfigError(ValueError):
    """A CORS configuration that cannot be used, raised at construction time.

    One mistake: ``field`` (the setting), ``value`` (what was given), ``message`` and ``hint`` (a "did you
    mean", or ""), and ``where`` (a file and rule, when known). Several mistakes: the same attributes
    describe the first, and ``errors`` lists them all (a single mistake is ``errors == (self,)``);
    ``str()`` shows every one, a line each, starting with where it is and the field.
    """

    def __init__(
        self,
        field: str,
        message: str,
        *,
        value: Any = _UNSET,
        hint: str = "",
        where: str | None = None,
    ) -> None:
        self.field = field
        self.message = message
        self.value = value
        self.hint = hint
        self.where = where
        self.errors: tuple[ConfigError, ...] = (self,)
        super().__init__(self._line())

    def _line(self) -> str:
        text = f"{self.field}: {self.message}{self.hint}"
        return f"{self.where}: {text}" if self.where else text

    @classmethod
    def collect(cls, errors: Sequence[ConfigError]) -> ConfigError:
        """One error standing for ``errors`` (each of which may itself hold several)."""
        flat = tuple(single for error in errors for single in error.errors)
        if len(flat) == 1:
            return flat[0]
        first = flat[0]
        combined = cls(first.field, first.message, value=first.value, hint=first.hint, where=first.where)
        combined.errors = flat
        combined.args = ("\n".join(e._line() for e in flat),)
        return combined

    def located(self, where: str, note: str = "") -> ConfigError:
        """The same mistakes, placed in a file or rule (``note`` is appended to each message)."""
        return ConfigError.collect(
            [
                ConfigError(e.field, e.message + note, value=e.value, hint=e.hint, where=where)
                for e in self.errors
            ]
        )


class Collector:
    """Gathers every ConfigError raised inside ``with collector.check():`` blocks, then raises them as one."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        self.errors.append(error)

    def check(self) -> _Catch:
        return _Catch(self)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ConfigError.collect(self.errors)


class _Catch:
    __slots__ = ("_collector",)

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, ConfigError):
            self._collector.add(exc)
            return True
        return False


def did_you_mean(word: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """`` did you mean 'x'?`` for the closest choice, or an empty string when nothing is close.

    ``aliases`` maps other spellings (another library's name for a setting, lower case, '_' for '-') to
    a choice: an alias among the choices is suggested before any near spelling.
    """
    choices = list(choices)
    alias = (aliases or {}).get(word.lower().replace("-", "_"))
    if alias in choices:
        return f"; did you mean {alias!r}?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
