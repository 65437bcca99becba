"""Form fields shared by the applicant's and the staff's pages."""

from __future__ import annotations

from django import forms

# Spaces people put between thousands: a plain space, a no-break space (what our own pages
# print in Belarusian and Russian), a narrow no-break space.
_GROUP_SPACES = str.maketrans("", "", " \xa0\u202f")


class AmountField(forms.DecimalField):
    """An amount of money written the reader's way: "1 234,50" in Belarusian or Russian,
    "1234.50" in English (a point is understood in every language).

    A text box rather than ``type=number``: browsers disagree about commas there, and some
    refuse them before the form is sent, with a message in the browser's language rather
    than ours. ``inputmode`` still brings up a phone's number keyboard.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # a number-box attribute; meaningless on a text box
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().translate(_GROUP_SPACES)
        return super().to_python(value)
