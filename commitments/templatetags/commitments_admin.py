"""Template tags for the admin: the system health panel on the index page."""

from django import template

from commitments import access, health

register = template.Library()


@register.simple_tag
def system_health(user):
    """The health checks for an administrator's panel; None for anyone else (errors may name hosts)."""
    if not access.is_administrator(user):
        return None
    checks = health.check_all()
    return {"state": health.overall(checks), "checks": checks}
