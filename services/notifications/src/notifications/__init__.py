"""Notification preferences, an outbox delivered through an HTTP email provider, daily digests."""

__version__ = "0.1.0"
