"""Theory versus data: theory results, their comparison with the measurements, and every figure style.

This layer owns the theory-results format and loader (``results.csv`` of a run, point JSONs,
curves; :mod:`.results`), the bulk k·p reference curve (:mod:`.bulk_curve`), systematic bands
(:mod:`.systematics`), residual metrics and the Markdown report (:mod:`.metrics`, :mod:`.report`),
the comparison figures and their marks (:mod:`.figures`, :mod:`.figure_marks`), the job behind
``landeg compare`` (:mod:`.compare`), the one plotting style of the toolkit (:mod:`.style`) and the
band-structure figure of ``landeg bands`` (:mod:`.band_figure`). It reads the measured layer
(:mod:`comparisons.experiment`) and the models; it never runs a sweep — the sweep layer above
produces the results it reads. Units: eV, nm; g in the J-convention.
"""
