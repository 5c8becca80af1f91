"""The foundation every layer stands on: errors, geometry, seeding, images, patch banks, tasks, metrics."""
