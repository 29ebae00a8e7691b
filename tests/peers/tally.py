"""Tally of the peer test ports: per peer, cases / held / raised / wrong / convention.

Not collected by pytest (no test_ prefix). Run from the repository root:
    PYTHONPATH=$PWD python tests/peers/tally.py
A case "held" if metanum's result matches the reference today, "raised" if metanum raises,
"wrong" if it returns a result that disagrees; "convention" counts the cases whose test asserts
a documented metanum convention instead of the peer's value.
"""

import collections
import sys

sys.dont_write_bytecode = True


def _diffests():
    from tests.peers import test_diffests as T
    from tests.peers._check import classify
    for p in T._params():
        f, kind, x, mode = p.values
        yield p.id, classify(lambda: T.check(f, kind, x, mode)), False


def _autograd():
    from tests.peers import test_autograd as T
    from tests.peers._check import classify
    for p in T._params():
        f, x, mode = p.values
        yield p.id, classify(lambda: T.check(f, x, mode)), False


def _uncertainties():
    from tests.peers import test_uncertainties as T
    from tests.peers._check import classify
    for cid, (run, *args) in T.CASES.items():
        yield cid, classify(lambda: run(*args)), cid in T.CONVENTIONS


def _measurements_jl():
    from tests.peers import test_measurements_jl as T
    from tests.peers._check import classify
    for cid in T.CASES:
        yield cid, classify(lambda: T.check(cid)), False


def _chebpy():
    from tests.peers import test_chebpy as T
    from tests.peers._check import classify
    for kind, (run, cases) in T.CHECKS.items():
        for i in range(len(cases)):
            cid = f"{kind}-{i}"
            spec = T.KNOWN.get(cid)
            conv = spec is not None and spec[1].startswith("convention")
            yield cid, classify(lambda: run(i)), conv


PEERS = {"DiffTests.jl": _diffests, "autograd": _autograd, "uncertainties": _uncertainties,
         "Measurements.jl": _measurements_jl, "chebpy": _chebpy}


def main(verbose: bool = "-v" in sys.argv) -> None:
    print(f"{'peer':16s} {'cases':>5s} {'held':>5s} {'raised':>6s} {'wrong':>5s} {'convention':>10s}")
    for peer, gen in PEERS.items():
        c = collections.Counter()
        for cid, outcome, conv in gen():
            c["cases"] += 1
            c["convention" if conv else outcome.split(":")[0]] += 1
            if verbose and outcome != "held":
                print("   ", cid, outcome)
        print(f"{peer:16s} {c['cases']:5d} {c['held']:5d} {c['raised']:6d} {c['wrong']:5d} {c['convention']:10d}")


if __name__ == "__main__":
    main()
