"""Reports: heatmaps (leaderboards and findings build on results)."""
