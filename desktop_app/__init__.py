"""desktop_app: sign in to Logto from a desktop app the way native apps should (RFC 8252)."""

__version__ = "0.1.0"
