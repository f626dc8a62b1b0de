from projects.repositories.projects import ProjectFilters, ProjectRepository, SlugTakenError

__all__ = ["ProjectFilters", "ProjectRepository", "SlugTakenError"]
