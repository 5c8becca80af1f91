"""Result records: building, validating, reading and writing them, and their provenance."""
