"""``Frozen``: the one way a class of the request path refuses to be changed after it is built.

    >>> class Point(Frozen):
    ...     __slots__ = ("x",)
    ...     def __init__(self, x: int) -> None:
    ...         object.__setattr__(self, "x", x)
    >>> p = Point(1)
    >>> p.x = 2
    Traceback (most recent call last):
    AttributeError: a Point cannot be changed (tried to set 'x')
    >>> del p.x
    Traceback (most recent call last):
    AttributeError: a Point cannot be changed (tried to delete 'x')

A subclass sets its values in ``__init__`` with ``object.__setattr__`` and is immutable from then on: no
assignment or deletion can change what later requests read.
"""

from __future__ import annotations


class Frozen:
    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a {type(self).__name__} cannot be changed (tried to set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a {type(self).__name__} cannot be changed (tried to delete {name!r})")
