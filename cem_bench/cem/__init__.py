"""The CEM engine: protocol, interventions, sampling, the estimator and its exact accelerations.

It takes loaded modules and arrays; it never resolves names, reads files by name or draws pictures.
"""
