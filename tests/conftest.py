"""Shared test configuration: hypothesis profiles and mpmath precision fixtures.

Profiles (choose with ``HYPOTHESIS_PROFILE=name``):

* ``default``: 30 examples per property, no deadline (the suite stays fast
  on two cores; the first call of a numba ufunc may take a while).
* ``thorough``: 300 examples, for a deeper run by hand.
"""

import os

import mpmath
import pytest
from hypothesis import HealthCheck, settings

# notebooks read METANUM_QUICK=1 as their short setting; the kernels the tests start inherit it
os.environ.setdefault("METANUM_QUICK", "1")

settings.register_profile(
    "default", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def mp30():
    """mpmath at 30 significant digits for the duration of a test."""
    with mpmath.workdps(30):
        yield


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    # a test that changes mp.dps must not leak it into the next test
    prec = mpmath.mp.prec
    yield
    mpmath.mp.prec = prec
