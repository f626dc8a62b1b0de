"""What the sample services share: token contract and roles, database URLs, errors, clock."""

__version__ = "0.1.0"
