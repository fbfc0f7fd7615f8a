"""Measured data: the bundled g-factor table of Meliakov et al. (2025) and the experiment helpers.

This layer owns what the measurements are, independent of any theory: the measured-table schema,
its validating loader and sample/population selection (:mod:`.measured`), the measured points one
comparison uses (population, derived g_X, duplicates; :mod:`.points`) and the TRFE formulas of the
paper — Larmor frequency, Δg from T2*(B), fits of spin signals (:mod:`.trfe`, whose names are also
importable from this package, as they were from the old module ``comparisons.experiment``). It
imports only ``confinement``; the theory-versus-data layer above reads it, never the reverse.
Units: eV, T, ps, K; g in the J-convention.
"""

from .trfe import (
    GAMMA_B,
    HBAR_EV_S,
    DephasingFit,
    FitError,
    PrecessionComponent,
    TrfeFit,
    delta_g_from_t2,
    fit_trfe,
    g_from_larmor,
    larmor_frequency,
    larmor_guesses,
    trfe_signal,
)

__all__ = ["GAMMA_B", "HBAR_EV_S", "DephasingFit", "FitError", "PrecessionComponent", "TrfeFit",
           "delta_g_from_t2", "fit_trfe", "g_from_larmor", "larmor_frequency", "larmor_guesses",
           "trfe_signal"]
