"""Model cards, the architectures this project writes, and loading a card into a model."""

from cem_bench.models.card import ModelCard, read_card
from cem_bench.models.catalog import card_source, get_card, registered_cards
from cem_bench.models.loading import RestorationModel, load_model

__all__ = ["ModelCard", "RestorationModel", "card_source", "get_card", "load_model", "read_card", "registered_cards"]
