"""Counting statistics: the paper's Section IV reading of the master equation, made computable.

``jumps``     the jump decomposition D_p = J_p^+ + J_p^- + J_p^0 - 1/2{K_p, .} (Eqs. 70-77)
              and the jump probabilities over an interval (Eq. 84);
``counting``  closed-form mean, zero-frequency noise, Fano factor and TUR ratio per
              reservoir, counting quanta or energy, by exact linear solves;
``numeric``   the numeric tilted Liouvillian: cumulants to any order (recursive scheme),
              the scaled cumulant generating function and its finite differences;
``finite_dt_jumps``  the jumps of the finite-dt coarse-grained equation (gamma_mn(dt) split
              by the sign of the bath frequency), their probabilities and statistics;
``commands``  ``cgsym statistics`` at a point: ``--numeric`` and ``--dt``;

Builds on the core pipeline (``cgsym.derive``), never the other way round.
"""
from .counting import COUNTS, CountingStatistics, counting_statistics
from .finite_dt_jumps import FiniteDtJumps, finite_dt_jumps, finite_dt_statistics, split_gamma_dt
from .jumps import Jump, JumpDecomposition, JumpProbabilities, jump_decomposition

__all__ = ["COUNTS", "CountingStatistics", "Jump", "JumpDecomposition", "JumpProbabilities",
           "counting_statistics", "jump_decomposition", "FiniteDtJumps", "finite_dt_jumps",
           "finite_dt_statistics", "split_gamma_dt"]
