"""projects: projects inside organizations, authorised by tokens from the users service."""

__version__ = "0.1.0"
