"""Eight-band k·p theory of lead-halide perovskites: symbolic Hamiltonian, elimination, parameters."""
