"""The network around the caller: mutual connections (and, later, second degree)."""
