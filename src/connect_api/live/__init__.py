"""Live: the event feed as it commits, over server-sent events; stream tickets; the badge."""
