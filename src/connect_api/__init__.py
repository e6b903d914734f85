"""connect-api: the service behind a professional network's Connect button."""

__version__ = "0.1.0"
