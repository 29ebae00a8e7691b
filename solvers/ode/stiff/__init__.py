"""Stiff ODE methods (Rosenbrock, FBDF, RadauIIA5; the AutoSwitch composite lives in auto.py) and their
Jacobian and linear-algebra helpers."""

from solvers.ode.stiff.bdf import FBDF
from solvers.ode.stiff.radau import RadauIIA5
from solvers.ode.stiff.rodas import Rodas4
from solvers.ode.stiff.rodas5p import Rodas5, Rodas5P
from solvers.ode.stiff.sdirk import KenCarp4, Kvaerno5
from solvers.ode.stiff.trbdf2 import TRBDF2
from solvers.ode.stiff.rosenbrock import Rosenbrock23

__all__ = ["Rosenbrock23", "Rodas4", "FBDF", "RadauIIA5"]
__all__ += ["Rodas5P", "Rodas5"]
__all__ += ["TRBDF2", "KenCarp4", "Kvaerno5"]
