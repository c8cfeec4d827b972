from django import template

from commitments.emails import pledge_url

register = template.Library()


@register.simple_tag
def pledge_link(pledge_id):
    return pledge_url(int(pledge_id))
