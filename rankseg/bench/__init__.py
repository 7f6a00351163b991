"""Benchmarks: the cost of pixel classification as the vocabulary grows (head scaling), and end-to-end
training throughput. Run ``python -m rankseg.bench.head_scaling --device cpu``."""
