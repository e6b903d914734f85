"""The kit: what every room stands on and that knows no room. Settings, the database and its
replicas, errors and problem documents, tokens, limits, logs, metrics, the HTTP edge and the
server. Nothing here imports the core or a domain (an import-linter contract says so)."""
