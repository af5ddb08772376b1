"""What a subject answered, and whether that is what its configuration promises (outside the clock).

    answer = Answer.of(app, environ)
    problems = answer.problems(kind, origin, cors=True)   # [] when the CORS headers are right

A timing is only worth printing if the subject did the work: every scenario is checked once before it is
timed, and a subject that does not allow the allowed origin (or allows the refused one) stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.scenarios import Environ, Kind
from benchmarks.timing import WSGIApp, call


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, app: WSGIApp, environ: Environ) -> Answer:
        status, headers, _ = call(app, environ)
        return cls(int(status.split(" ", 1)[0]), tuple(headers))

    def values(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    @property
    def acao(self) -> list[str]:
        return self.values("Access-Control-Allow-Origin")

    def summary(self) -> str:
        """``204 +ACAO`` / ``403`` / ``200 +ACAOx3``: the status and whether the origin was let in."""
        n = len(self.acao)
        if n == 0:
            return str(self.status)
        return f"{self.status} +ACAO" + (f"x{n}" if n > 1 else "")

    def problems(self, kind: Kind, origin: str | None, cors: bool) -> list[str]:
        """Where the answer breaks the shared configuration (origin allowed with credentials)."""
        out: list[str] = []
        if not cors:
            if self.acao:
                out.append(f"a subject without CORS sent ACAO {self.acao}")
            return out
        if kind.origin == "allowed":
            if self.acao != [origin]:
                out.append(f"allowed origin {origin!r}: ACAO {self.acao}, want exactly [{origin!r}]")
            if self.values("Access-Control-Allow-Credentials") != ["true"]:
                out.append("allowed origin: no Access-Control-Allow-Credentials: true")
            if kind.preflight:
                if not 200 <= self.status < 300:
                    out.append(f"allowed preflight answered {self.status}")
                methods = ",".join(self.values("Access-Control-Allow-Methods"))
                if "GET" not in methods:
                    out.append(f"allowed preflight: Allow-Methods {methods!r} lacks GET")
        elif kind.origin == "refused" and self.acao:
            out.append(f"refused origin {origin!r} got ACAO {self.acao}")
        return out
