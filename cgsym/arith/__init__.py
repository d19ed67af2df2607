"""Exact arithmetic under the pipeline: python-flint rings and solvers (fraction-free,
modular), the common-denominator form of results, their printer, rigorous ball values."""
