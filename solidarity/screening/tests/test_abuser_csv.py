"""Reading the abuser list: every problem is found and reported by row, none quotes a cell."""

from __future__ import annotations

import pytest

from solidarity.screening.abuser_csv import MAX_PROBLEMS_SHOWN, AbuserListError, parse_abuser_csv

GOOD = (
    "name,service_number,unit,note\n"
    "Аляксандр Лукашэнка,АВ 123456,ОМОН Мінск,\n"
    "Ivanov Ivan Ivanovich,,Internal troops 3214,seen on video 2020-08-10\n"
    ",MVD-778899,,number only\n"
)


def _problems(data: bytes) -> list[str]:
    with pytest.raises(AbuserListError) as caught:
        parse_abuser_csv(data)
    return caught.value.problems


def test_a_good_file_gives_every_person():
    people = parse_abuser_csv(GOOD.encode())

    assert [p.name for p in people] == ["Аляксандр Лукашэнка", "Ivanov Ivan Ivanovich", ""]
    assert people[0].service_number == "АВ 123456"
    assert people[1].note == "seen on video 2020-08-10"


def test_excel_conventions_are_accepted():
    # A byte-order mark, semicolons, CRLF line ends and Russian headings in another order
    data = "\ufeffПодразделение;ФИО;Номер\r\nОМОН;Петров Пётр;1234567\r\n".encode()

    (person,) = parse_abuser_csv(data)

    assert (person.name, person.service_number, person.unit) == ("Петров Пётр", "1234567", "ОМОН")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"name\n", "The file has a heading row but nobody in it."),
        ("имя,номер\n".encode("cp1251"), "The file is not UTF-8 text."),
        (b"PK\x03\x04\x00\x00binary", "This is not a text file."),
        ("Аляксандр Лукашэнка,АВ 123456\n".encode(), "heading this import does not know"),
        ("unit,note\nОМОН,x\n".encode(), "at least “name” or “service_number”"),
        (b"name,name\nA B,C D\n", "Two columns have the same heading."),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_reason(data, expected):
    assert any(expected in problem for problem in _problems(data))


def test_row_problems_name_the_row_and_never_the_cell():
    data = (
        "name,service_number,unit\n"
        "Лукашенко,,\n"  # row 2: one word
        ",,ОМОН\n"  # row 3: neither name nor number
        "Петров Пётр,12,\n"  # row 4: number too short
        "Сидоров Сидор,1234567\n"  # row 5: a cell missing
        "Аляксандр Лукашэнка,,\n"  # row 6: fine
        "Аляксандр  Лукашэнка,,\n"  # row 7: the same person again
        f"{'Я' * 201} Б,,\n"  # row 8: too long
    ).encode()

    problems = _problems(data)

    text = "\n".join(problems)
    assert "Row 2: the name needs a given name" in text
    assert "Row 3 has neither a name nor a service number." in text
    assert "Row 4: a service number has 4 to 32 letters and digits" in text
    assert "Row 5 has 2 cells; the heading row has 3." in text
    assert "Row 6" not in text
    assert "Row 7 repeats row 6." in text
    assert "Row 8: the name is longer than 200 characters." in text
    for value in ("Лукашенко", "Петров", "Сидоров", "ОМОН", "ЯЯЯ"):
        assert value not in text


def test_a_file_with_many_problems_lists_the_first_ones():
    rows = "".join("Лукашенко,,\n" for _ in range(50))

    problems = _problems(f"name,service_number,unit\n{rows}".encode())

    assert len(problems) == MAX_PROBLEMS_SHOWN + 1
    assert problems[-1] == f"… and {50 - MAX_PROBLEMS_SHOWN} more problems."
