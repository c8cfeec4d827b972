"""What the database and the models refuse to store, and the organization tree."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from commitments.models import Organization, Pledge, ProgressUpdate
from tests.factories import OrganizationFactory, PledgeFactory, ProgressUpdateFactory

pytestmark = pytest.mark.django_db


def refused_by_database(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        PledgeFactory(**fields)


class TestDatabaseConstraints:
    def test_a_range_with_its_low_end_above_its_high_end_is_refused(self):
        refused_by_database(comparator="range", target=None, low=Decimal(5), high=Decimal(3))

    def test_a_range_without_both_ends_is_refused(self):
        refused_by_database(comparator="range", target=None, low=Decimal(5), high=None)

    def test_a_deadline_before_the_start_is_refused(self):
        refused_by_database(start_date=date(2025, 6, 1), deadline=date(2025, 5, 31))

    def test_a_numeric_pledge_without_a_target_is_refused(self):
        refused_by_database(target=None)

    def test_a_tolerance_above_one_is_refused(self):
        refused_by_database(tolerance=Decimal("1.5"))

    def test_a_milestone_needs_no_target(self):
        assert PledgeFactory(kind="milestone", comparator="=", target=None).pk

    def test_an_update_without_a_value_or_done_flag_is_refused(self, pledge):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgressUpdate.objects.create(pledge=pledge, as_of=date(2025, 3, 31))


class TestValidationMessagesNameTheField:
    def test_range_errors_name_the_high_end(self, district):
        pledge = PledgeFactory.build(lead_organization=district, comparator="range", target=None, low=5, high=3)
        with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
            pledge.full_clean()
        with translation.override("zh-hans"):
            assert error.value.message_dict["high"] == ["区间上限不得低于下限。"]

    def test_a_reduction_needs_a_baseline(self, district):
        pledge = PledgeFactory.build(lead_organization=district, kind="reduction", cumulative=False, unit="%", target=3)
        with translation.override("en"), pytest.raises(ValidationError) as error:
            pledge.full_clean()
        assert "baseline" in error.value.message_dict

    def test_a_numeric_update_needs_a_value(self, pledge):
        update = ProgressUpdate(pledge=pledge, as_of=date(2025, 3, 31), done=True)
        with translation.override("en"), pytest.raises(ValidationError) as error:
            update.full_clean()
        with translation.override("en"):
            assert error.value.message_dict["value"] == ["Enter the value reached by the end of the period."]

    def test_an_update_for_a_future_period_is_refused(self, pledge):
        update = ProgressUpdate(pledge=pledge, as_of=timezone.localdate() + timedelta(days=1), value=1)
        with pytest.raises(ValidationError) as error:
            update.full_clean()
        assert "as_of" in error.value.message_dict

    def test_a_milestone_update_needs_done_or_not_done(self, district):
        milestone = PledgeFactory(lead_organization=district, kind="milestone", comparator="=", target=None)
        with pytest.raises(ValidationError) as error:
            ProgressUpdate(pledge=milestone, as_of=date(2025, 3, 31)).full_clean()
        assert "done" in error.value.message_dict

    def test_a_correction_must_belong_to_the_same_pledge(self, pledge, district):
        other = ProgressUpdateFactory(pledge=PledgeFactory(lead_organization=district))
        with pytest.raises(ValidationError) as error:
            ProgressUpdate(pledge=pledge, as_of=date(2025, 3, 31), value=1, supersedes=other).full_clean()
        assert "supersedes" in error.value.message_dict

    def test_contact_emails_are_checked_one_by_one(self):
        org = Organization(name="某局", contact_emails="good@example.test, not-an-address")
        with pytest.raises(ValidationError) as error:
            org.full_clean()
        assert "not-an-address" in error.value.message_dict["contact_emails"][0]


class TestProgressUpdatesAreAppendOnly:
    def test_saving_an_existing_update_again_is_refused(self, pledge):
        update = ProgressUpdateFactory(pledge=pledge, value=Decimal(10))
        update.value = Decimal(99)
        with pytest.raises(ValidationError):
            update.save()
        assert ProgressUpdate.objects.get(pk=update.pk).value == Decimal(10)

    def test_a_correction_is_a_new_row_pointing_at_the_old_one(self, pledge):
        wrong = ProgressUpdateFactory(pledge=pledge, value=Decimal(10))
        fixed = ProgressUpdateFactory(pledge=pledge, value=Decimal(12), supersedes=wrong)
        assert wrong.superseded_by == fixed
        assert pledge.updates.count() == 2


class TestOrganizationTree:
    def test_paths_follow_the_parents(self, city, district):
        department = OrganizationFactory(name="区商务局", parent=district)
        assert department.tree_path == f"/{city.pk}/{district.pk}/{department.pk}/"
        assert department.depth == 2
        assert set(city.subtree()) == {city, district, department}

    def test_moving_an_organization_moves_its_whole_subtree(self, city, district):
        department = OrganizationFactory(name="区商务局", parent=district)
        other_city = OrganizationFactory(name="如皋市", level="city")
        district.parent = other_city
        district.save()
        department.refresh_from_db()
        assert department.tree_path == f"/{other_city.pk}/{district.pk}/{department.pk}/"
        assert set(other_city.subtree()) == {other_city, district, department}

    def test_an_organization_cannot_be_put_under_its_own_child(self, city, district):
        city.parent = district
        with pytest.raises(ValidationError) as error:
            city.full_clean()
        assert "parent" in error.value.message_dict


def test_a_pledge_describes_its_target_in_the_active_language(pledge):
    with translation.override("zh-hans"):
        assert pledge.target_text == "≥ 50个"
    growth = Pledge(kind="growth", comparator=">=", target=Decimal(8), unit="%", deadline=date(2025, 12, 31))
    with translation.override("en"):
        assert growth.target_text == "growth of ≥ 8%"
    with translation.override("zh-hans"):
        assert growth.target_text == "增长 ≥ 8%"
