import pytest

from tests.factories import OrganizationFactory, PledgeFactory, UserFactory


@pytest.fixture
def city(db):
    return OrganizationFactory(name="南通市", short_name="南通", level="city")


@pytest.fixture
def district(city):
    return OrganizationFactory(name="通州区", short_name="通州", level="district", parent=city)


@pytest.fixture
def pledge(district):
    return PledgeFactory(lead_organization=district)


@pytest.fixture
def staff(db):
    return UserFactory(username="alice", is_staff=True, is_superuser=True)
