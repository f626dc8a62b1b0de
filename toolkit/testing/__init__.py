"""pytest support: the plugin and the declaration a package hands it."""
