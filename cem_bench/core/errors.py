"""User-facing errors: the CLI prints their message on one line and exits with status 2."""


class CemBenchError(Exception):
    """Bad input or an unusable model: reported to the user without a traceback."""


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
