"""Exception types: every failure the user can cause or meet names what to change."""

from __future__ import annotations


class LandegError(Exception):
    """Base class of all errors raised deliberately by the toolkit."""


class ParameterError(LandegError, ValueError):
    """A parameter value is missing, malformed or non-physical."""


class ParameterFileError(LandegError, OSError):
    """A parameter or data file is missing or does not follow its schema."""


class UnknownNameError(LandegError, LookupError):
    """An unknown material, parameter-set, model or shape name."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]):
        self.kind, self.name, self.known = kind, name, tuple(sorted(known))
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known) or '(none)'}")


class ConfigError(LandegError, ValueError):
    """A configuration file is malformed; the message names the offending key."""


class PhysicsCheckError(LandegError, ArithmeticError):
    """A result failed an internal physics check (degeneracy, symmetry, convergence)."""


class ConvergenceError(LandegError, RuntimeError):
    """An iterative solver did not converge; the message gives the residuals."""
