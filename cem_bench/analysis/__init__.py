"""Statistics over results: bootstrap intervals, CEM/LAM agreement, the paper's findings."""
