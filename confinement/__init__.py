"""Shared nanocrystal machinery and the common base of the toolkit.

Holds what both the k·p (:mod:`kp`) and the tight-binding (:mod:`tightbinding`) models use:
units and constants, errors, parameter files with provenance, and g-factor extraction
(Roth sums and the J-convention g-tensor). Later: NC geometry, finite-system build,
band-edge eigen-solver, magnetic field and size→energy models.
"""
