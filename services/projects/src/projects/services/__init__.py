from projects.services.projects import ProjectService

__all__ = ["ProjectService"]
