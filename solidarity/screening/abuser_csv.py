"""Reading the fund's list of identified abusers from a CSV file, all or nothing.

The file is the coordinators' own spreadsheet, saved as CSV: a header row, then one person
per row. Columns (header names in English, Russian or Belarusian, any order):

  name            full name in any script: "Аляксандр Лукашэнка", "Lukashenko A. G."
  service_number  badge or service ID, optional if the name is given
  unit            unit or department, optional; shown to the coordinator beside a match
  note            anything else, optional; never used for matching

Every row is checked before anything is stored; problems are reported by row and column
number, never by quoting the cell, so an error page or a log line holds no listed name.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from solidarity.screening import names, translit

MAX_BYTES = 2 * 1024 * 1024  # ~20,000 rows of long names; the list in 2020 had hundreds
MAX_ROWS = 20_000
MAX_PROBLEMS_SHOWN = 20  # a file with everything wrong needs the first few, not thousands
_MAX_LENGTH = {"name": 200, "service_number": 40, "unit": 300, "note": 1000}
# A badge number shorter than this matches too much by chance; longer is not a badge.
SERVICE_NUMBER_LENGTH = (4, 32)

_HEADER_NAMES = {
    "name": {"name", "full name", "full_name", "имя", "фио", "ф.и.о.", "імя", "прозвішча"},
    "service_number": {
        "service_number", "service number", "service id", "badge", "номер", "жетон",
        "номер жетона", "служебный номер", "асабісты нумар", "нумар",
    },
    "unit": {"unit", "подразделение", "часть", "падраздзяленне", "часць"},
    "note": {"note", "notes", "примечание", "заметка", "заўвага", "нататка"},
}  # fmt: skip


@dataclass(frozen=True)
class ListedPerson:
    name: str
    service_number: str
    unit: str
    note: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "service_number": self.service_number,
            "unit": self.unit,
            "note": self.note,
        }


class AbuserListError(ValueError):
    """The file cannot be imported; ``problems`` says why, row by row, without cell values."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the abuser list")
        self.problems = problems


def _column(header: str) -> str | None:
    wanted = " ".join(header.strip().lower().replace("_", " ").split())
    for column, aliases in _HEADER_NAMES.items():
        if wanted in aliases or wanted.replace(" ", "_") in aliases:
            return column
    return None


def _decode(data: bytes) -> str:
    if not data.strip():
        raise AbuserListError([_("The file is empty.")])
    if len(data) > MAX_BYTES:
        raise AbuserListError(
            [_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)}]
        )
    if b"\x00" in data:
        raise AbuserListError([_("This is not a text file. Save the spreadsheet as CSV.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AbuserListError(
            [_("The file is not UTF-8 text. In the spreadsheet, save it as “CSV UTF-8”.")]
        ) from None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first_line = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_abuser_csv(data: bytes) -> list[ListedPerson]:
    """Every person in the file, or AbuserListError listing what is wrong."""
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), _dialect(text)))
    except csv.Error:
        raise AbuserListError([_("The file is not valid CSV.")]) from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise AbuserListError([_("The file is empty.")])
    header, body = rows[0], rows[1:]
    columns = [_column(cell) for cell in header]
    problems = []
    for number, column in enumerate(columns, start=1):
        if column is None:
            problems.append(
                _("Column %(n)s has a heading this import does not know.") % {"n": number}
            )
    seen = [c for c in columns if c]
    if len(seen) != len(set(seen)):
        problems.append(_("Two columns have the same heading."))
    if "name" not in seen and "service_number" not in seen:
        problems.append(
            _("The first row must name the columns, with at least “name” or “service_number”.")
        )
    if problems:
        raise AbuserListError(problems + [_("Known headings: name, service_number, unit, note.")])
    if not body:
        raise AbuserListError([_("The file has a heading row but nobody in it.")])
    if len(body) > MAX_ROWS:
        raise AbuserListError([_("The file has more than %(n)s rows.") % {"n": MAX_ROWS}])

    people: list[ListedPerson] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for line, row in enumerate(body, start=2):
        problems.extend(_check_row(line, row, columns, people, first_row_of))
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(
                _("… and %(n)s more problems.") % {"n": len(problems) - MAX_PROBLEMS_SHOWN}
            )
        raise AbuserListError(shown)
    return people


def _check_row(
    line: int,
    row: list[str],
    columns: list[str | None],
    people: list[ListedPerson],
    first_row_of: dict[tuple[str, str], int],
) -> list[str]:
    if len(row) != len(columns):
        return [
            _("Row %(row)s has %(got)s cells; the heading row has %(want)s.")
            % {"row": line, "got": len(row), "want": len(columns)}
        ]
    values = {"name": "", "service_number": "", "unit": "", "note": ""}
    for column, cell in zip(columns, row, strict=True):
        if column:
            values[column] = " ".join(cell.split())
    problems = []
    for column, limit in _MAX_LENGTH.items():
        if len(values[column]) > limit:
            problems.append(
                _("Row %(row)s: the %(column)s is longer than %(n)s characters.")
                % {"row": line, "column": column, "n": limit}
            )
    if not values["name"] and not values["service_number"]:
        problems.append(_("Row %(row)s has neither a name nor a service number.") % {"row": line})
    if values["name"]:
        try:
            names.listed_name(line, values["name"])
        except names.NameTooWeakError:
            problems.append(
                _(
                    "Row %(row)s: the name needs a given name (or its initial) and a surname; "
                    "one word alone would match strangers."
                )
                % {"row": line}
            )
    number = translit.identifier(values["service_number"])
    low, high = SERVICE_NUMBER_LENGTH
    if values["service_number"] and not (
        low <= len(number) <= high and any(c.isdigit() for c in number)
    ):
        problems.append(
            _(
                "Row %(row)s: a service number has %(low)s to %(high)s letters and digits, with at least one digit."
            )
            % {"row": line, "low": low, "high": high}
        )
    if problems:
        return problems
    identity = (" ".join(translit.words(values["name"])), number)
    if identity in first_row_of:
        return [
            _("Row %(row)s repeats row %(first)s.") % {"row": line, "first": first_row_of[identity]}
        ]
    first_row_of[identity] = line
    people.append(ListedPerson(**values))
    return []
