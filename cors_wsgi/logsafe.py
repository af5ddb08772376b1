r"""The one way request values reach a log line or a debug body: ``safe_repr``.

    >>> safe_repr("http://evil.test\r\nX-Injected: 1")
    "'http://evil.test\\r\\nX-Injected: 1'"
    >>> safe_repr("x" * 1000, limit=30)
    "'xxxxxxxxxxxxxx...[1000 chars]"

Used in production, not only in debug mode: every log record that carries a request value (refusals, the
report-only records, unhandled exceptions, an origin function that raised) goes through it, so CR/LF cannot
forge log lines (CVE-2024-1681 in flask-cors), nor can NEL, U+2028, NUL or terminal escapes, and a 100 KB
header cannot flood a log.
"""

from __future__ import annotations


def safe_repr(value: object, limit: int = 120) -> str:
    """``repr(value)`` with every non-printable character escaped, at most ``limit`` characters long.

    Strings and bytes are cut *before* ``repr`` so a huge header costs no more than ``limit``; a custom
    ``__repr__`` that returns raw CR/LF, or raises, cannot break a log line either.
    """
    limit = max(limit, 0)
    total: int | None = None
    if isinstance(value, str | bytes | bytearray) and len(value) > limit:
        total = len(value)
        value = value[:limit]
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not turn a log call into a 500
        text = f"<{type(value).__name__} object: repr() raised {type(exc).__name__}>"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else _escape(ch) for ch in text)
    if total is None and len(text) <= limit:
        return text
    return _truncate(text, limit, total if total is not None else len(text))


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _truncate(text: str, limit: int, total: int) -> str:
    marker = f"...[{total} chars]"
    if limit < len(marker) + 8:  # too short to say how long it was: just mark the cut
        marker = "..."
    if limit <= len(marker):
        return text[:limit]
    return text[: limit - len(marker)] + marker
