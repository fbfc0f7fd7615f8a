"""The second-neighbour bound (issue 18): a constrained search over the admissible space.

``landeg bound CONFIG`` (:mod:`.command`) runs it: every search point is refitted to the bulk
targets and checked for admissibility (:mod:`tightbinding.second_neighbour`), its NC cubes go
through the sweep layer's content-hash point cache (:mod:`.evaluate`), SciPy's COBYLA maximises
the hole-g rise g_h(E_high) − g_h(E_low) and, separately, g_h(E_high) from several starts with the
history saved (:mod:`.optimise`), the sensitivities dg/dp at the base point are finite
differences through refits, and the report (:mod:`.report`) writes the summary, tables and
figures. Config schema: :mod:`.config`. This package sits at the sweeps layer: it may import the
sweep machinery, the models and the measured data, never the command line.
"""
