"""Runnable jobs: they wire transforms to sources, sinks and options, nothing more."""
