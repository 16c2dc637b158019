"""Benchmark scripts; their figures go in docs/benchmarks.md with the command and the machine."""
