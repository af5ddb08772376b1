"""Coverage-guided fuzzing of the sans-I/O decision (``cors_wsgi.decision.decide``) with atheris.

    python fuzz/fuzz_decide.py -max_total_time=60 -dict=fuzz/cors.dict  # corpus: fuzz/corpus/decide
    tox -e fuzz                                                         # both targets, bounded

Each input is one request (method, Origin, ACRM, ACRH, ACRPN) decided under every policy in
``invariants.POLICIES``; ``invariants.check_decision`` asserts the Fetch rules on every answer, so any
crash is either an exception escaping ``decide`` or a broken invariant.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from invariants import POLICIES, check_decision, fields_from_bytes, run_fuzzer

from cors_wsgi.decision import decide


def test_one_input(data: bytes) -> None:
    # Bit 7 of the flag byte picks the decoding: WSGI's latin-1, or UTF-8 for any code point.
    encoding = "latin-1" if data[:1] and data[0] & 0x80 else "utf-8"
    _, method, origin, acrm, acrh, pna, _ = fields_from_bytes(data, encoding)
    for case in POLICIES:
        for explain in (False, True):
            d = decide(case.policy, method, origin, acrm, acrh, pna, {}, debug=explain)
            check_decision(case, method, origin, acrm, acrh, pna, d, explain)


if __name__ == "__main__":
    run_fuzzer(test_one_input, "decide")
