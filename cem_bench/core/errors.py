"""User-facing errors: the CLI prints their message on one line and exits with status 2."""


class CemBenchError(Exception):
    """Bad input or an unusable model: reported to the user without a traceback."""


class ModelOutputError(CemBenchError):
    """The model produced an output that cannot be scored (NaN/Inf, wrong shape)."""
