"""Template tags for the admin: the system health panel on the index page."""

from django import template

from commitments import health

register = template.Library()


@register.simple_tag
def system_health():
    checks = health.check_all()
    return {"state": health.overall(checks), "checks": checks}
