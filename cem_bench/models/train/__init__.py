"""Training the reference zoo: data split (``data``), pairs (``pairs``), configs (``recipe``), loop, outputs."""
