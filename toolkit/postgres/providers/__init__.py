"""The three ways to get a server: an existing one, a container, or embedded binaries."""
