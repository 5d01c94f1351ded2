"""Benchmarks of the job engine against the fake TT API (run `python -m bench.engine`)."""
