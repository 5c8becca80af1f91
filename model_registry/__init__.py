"""Data and architectures only: model cards (``cards/``), the architectures this project writes
(``archs/``, pure torch), and the zoo's training configs and weights (``zoo/``).

Nothing here imports ``cem_bench``: the benchmark reads this package, never the other way round.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
CARDS_DIR = ROOT / "cards"
ZOO_DIR = ROOT / "zoo"

__all__ = ["CARDS_DIR", "ROOT", "ZOO_DIR"]
