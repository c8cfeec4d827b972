"""Numbers as staff type or paste them: full-width digits and punctuation from a Chinese input method, thousands
separators from a spreadsheet. Used by every form field and import column that takes a value."""

import re
import unicodedata
from decimal import Decimal

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

# 1,234 or 12,345,678.5: commas that group thousands, nothing else.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# A number followed by a unit or a percent sign: "7.2%", "30个", "8000万美元".
_NUMBER_WITH_UNIT = re.compile(r"[+-]?[\d.,]*\d\s*[^\d\s.,+-][^\d]*")


def normalise_number_text(text: str) -> str:
    """'１，２３４．５' -> '1234.5', ' 12 ' -> '12', '−3' -> '-3'. Anything else is left for the parser to refuse."""
    text = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")  # NFKC keeps the minus sign U+2212
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text


class NumberField(forms.DecimalField):
    """A decimal field that reads full-width digits and thousands separators, and says so when a unit was typed."""

    default_error_messages = {
        "with_unit": _("Type the number alone, without a unit or %% (the pledge's unit applies): “%(value)s”."),
    }

    def to_python(self, value):
        if isinstance(value, str):
            value = normalise_number_text(value)
        try:
            return super().to_python(value)
        except forms.ValidationError:
            if isinstance(value, str) and _NUMBER_WITH_UNIT.fullmatch(value):
                raise forms.ValidationError(self.error_messages["with_unit"], code="with_unit", params={"value": value})
            raise


class NumberInput(forms.TextInput):
    """A text box, not <input type=number>: with a Chinese input method in full-width mode a number box drops what
    was typed and the form only says "required". Shows 50 rather than 50.0000 for the 4-decimal columns."""

    def __init__(self, attrs=None, unit: str = ""):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "size": 12, **(attrs or {})})
        self.unit = unit  # shown after the box, so nobody types 亿元 figures into a 万元 pledge

    def render(self, name, value, attrs=None, renderer=None):
        box = super().render(name, value, attrs, renderer)
        return format_html('{} <span class="tracker-unit">{}</span>', box, self.unit) if self.unit else box

    def format_value(self, value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return super().format_value(value)
