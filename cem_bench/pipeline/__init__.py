"""The scoring pipeline: suites, the runner and its executors, aggregation, datasets, checks, submission.

With ``cli``, the only layer that turns names into models.
"""
