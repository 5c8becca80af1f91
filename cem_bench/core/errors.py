"""User-facing errors: the CLI prints their message on one line and exits with status 2."""

import math
import numbers


class CemBenchError(Exception):
    """Bad input or an unusable model: reported to the user without a traceback."""


def naming(path: object, error: Exception) -> str:
    """``error``'s message, prefixed with ``path`` unless it already names it (a schema violation does not).

    >>> naming("r.json", CemBenchError("cannot read result r.json"))
    'cannot read result r.json'
    >>> naming("r.json", CemBenchError("units[0]: missing"))
    'r.json: units[0]: missing'
    """
    return str(error) if str(path) in str(error) else f"{path}: {error}"


class ParameterError(CemBenchError):
    """A bad value of one named parameter of the library (``fine``, ``batch_size``, ``roi``, ...).

    The message names the parameter as the Python API spells it; the CLI shows its flag instead.

    >>> str(ParameterError("batch_size", "must be at least 1"))
    'batch_size must be at least 1'
    """

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter} {problem}")
        self.parameter = parameter
        self.problem = problem


class ModelOutputError(CemBenchError):
    """The model produced an output that cannot be scored (NaN/Inf, wrong shape)."""


class ModelForwardError(CemBenchError):
    """The network raised during a forward pass (input too small, a side not a multiple it needs, out of
    memory, ...): one line naming the model, the input size and the likely cause.

    ``out_of_memory`` tells callers that may try a smaller input instead (the receptive-field crop) that a
    smaller input would not help the run as a whole."""

    def __init__(self, message: str, out_of_memory: bool = False) -> None:
        super().__init__(message)
        self.out_of_memory = out_of_memory


def require_finite(parameter: str, value: object) -> float:
    """``value`` as a float, or a :class:`ParameterError` when it is not a finite real number.

    Every float setting goes through this before any work: NaN slips through ``<`` checks (every
    comparison with it is false) and infinity through ``> 0`` ones.

    >>> require_finite("tol", 0.5)
    0.5
    >>> require_finite("tol", float("nan"))
    Traceback (most recent call last):
    cem_bench.core.errors.ParameterError: tol must be a finite number, got nan
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(parameter, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ParameterError(parameter, f"must be a finite number, got {value}")
    return float(value)


class BudgetExhausted(Exception):
    """A run reached its time budget: finished samples are saved and a later run resumes from them.

    Not a :class:`CemBenchError`: it is the planned end of a budgeted run, which the runner reports."""
