"""Theory-versus-experiment layer and the ``landeg`` command line."""
