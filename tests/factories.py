from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from commitments.models import Category, Organization, Pledge, ProgressUpdate, SourceDocument


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("pw-for-tests-1")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试单位{n}")
    level = Organization.Level.DEPARTMENT
    contact_emails = factory.Sequence(lambda n: f"org{n}@example.test")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = "产业创新"


class SourceDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceDocument

    title = factory.Sequence(lambda n: f"工作报告{n}")
    issued_on = date(2025, 1, 10)
    full_text = "全年新注册重大产业项目50个以上。"


class PledgeFactory(factory.django.DjangoModelFactory):
    """A cumulative annual count: 全年新注册重大产业项目50个以上."""

    class Meta:
        model = Pledge

    metric = "新注册重大产业项目"
    kind = "level"
    comparator = ">="
    target = Decimal(50)
    unit = "个"
    cumulative = True
    start_date = date(2025, 1, 1)
    deadline = date(2025, 12, 31)
    cadence = "quarterly"
    lead_organization = factory.SubFactory(OrganizationFactory)
    source_sentence = "全年新注册重大产业项目50个以上"


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    pledge = factory.SubFactory(PledgeFactory)
    value = Decimal(10)
    as_of = date(2025, 3, 31)
