"""``python -m bench.stream`` (``make bench-stream``): live streams at scale (bench/README.md)."""
