"""users: registration, login, JWT tokens, profiles, organizations and membership."""

__version__ = "0.1.0"
