"""HTTP layer: dependencies and the /api/v1 routers."""
