"""Findings of the security review (issue 13) on the manager pages and site-wide: bad page sizes, what the pledge
page counts, who sees health details, serving uploaded files, response headers, error pages, settings, filters."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from commitments import actions
from commitments.models import Membership
from tests.factories import OrganizationFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_october():
    with time_machine.travel(date(2025, 10, 10), tick=False):
        yield


def member(role, organization, username=None):
    """A staff user with one role in one organization (and so in everything under it)."""
    user = UserFactory(username=username or f"{role}-{organization.pk}", is_staff=True)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


# --- 1. A bad ?per_page= is the page's default, never a 500 --------------------------------------------


@pytest.mark.parametrize("per_page", ["-1", "0", "abc", "", "1e3"])
@pytest.mark.parametrize("page", ["tracker-pledges", "tracker-organization"])
def test_a_page_size_below_one_or_not_a_number_shows_the_default_page(client, staff, district, page, per_page):
    PledgeFactory.create_batch(3, lead_organization=district)
    client.force_login(staff)
    url = reverse(page, args=[district.pk] if page == "tracker-organization" else [])
    response = client.get(url, {"per_page": per_page})
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == (25 if page == "tracker-pledges" else 50)
    assert len(response.context["table"].page.object_list) == 3


@pytest.mark.parametrize("page", ["tracker-pledges", "tracker-organization"])
def test_a_huge_page_size_is_bounded_and_keeps_the_page_asked_for(client, staff, district, page):
    PledgeFactory.create_batch(3, lead_organization=district)
    client.force_login(staff)
    url = reverse(page, args=[district.pk] if page == "tracker-organization" else [])
    response = client.get(url, {"per_page": str(10**30)})
    assert response.status_code == 200 and response.context["table"].paginator.per_page == 500
    response = client.get(url, {"per_page": "2", "page": "2"})
    assert response.context["table"].page.number == 2 and len(response.context["table"].page.object_list) == 1
