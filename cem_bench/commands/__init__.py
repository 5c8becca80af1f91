"""One module per CLI command; each has ``register(subparsers)`` that sets ``func``."""

from . import demo, models, score

COMMANDS = (score, demo, models)
