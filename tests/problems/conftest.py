import pytest


@pytest.fixture
def log_problem():
    """Log a problem through the service: log_problem(school, by=user, **fields)."""
    from problems import services

    def log(school, *, by, title="Learning platform locks pupil accounts", **fields):
        return services.problem_log(school=school, logged_by=by, title=title, **{"description": "Locked.", **fields})

    return log
