"""Baselines the ``eval`` command compares the matcher with; never used to answer citizens."""
