"""How values are shown to people (admin now, pages and emails later): one place for number and date formats."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format


def number(value, places: int = 2) -> str:
    """A stored decimal without trailing zeros, rounded to `places` decimals: 764.1104 -> '764.11', 50.0000 -> '50'."""
    if value is None:
        return "—"
    value = Decimal(value)
    try:
        value = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        pass
    return format(value.normalize(), "f")


def amount(value, unit: str) -> str:
    return "—" if value is None else f"{number(value)}{unit}"


def percent(ratio) -> str:
    return "—" if ratio is None else f"{number(Decimal(ratio) * 100, 0)}%"


def day(value: date | None) -> str:
    """A date in the active language's format (2025年9月30日 / Sept. 30, 2025)."""
    return "—" if value is None else date_format(value, "DATE_FORMAT")


def moment(value: datetime | None) -> str:
    return "—" if value is None else date_format(timezone.localtime(value), "DATETIME_FORMAT")
