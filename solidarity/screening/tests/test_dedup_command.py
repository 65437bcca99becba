"""`solidarity dedup FILE...`: one JSON line per near-duplicate pair, nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from solidarity.screening import stories
from solidarity.screening.tests.conftest import STORIES


def _path(name: str) -> str:
    return str(STORIES / f"{name}.txt")


def _dedup(*args: str) -> list[dict]:
    out = StringIO()
    call_command("dedup", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_prints_one_json_line_per_pair_above_the_threshold():
    files = [_path(n) for n in ("en_riot_police", "en_prison_guard", "en_riot_police_reworded")]

    lines = _dedup(*files)

    assert len(lines) == 1
    (line,) = lines
    assert list(line) == ["a", "b", "similarity"]
    assert (line["a"], line["b"]) == (files[0], files[2])
    assert isinstance(line["similarity"], float)
    assert stories.DEFAULT_THRESHOLD <= line["similarity"] <= 1


def test_it_prints_nothing_for_unrelated_stories():
    assert _dedup(_path("ru_omon_minsk"), _path("ru_omon_brest"), _path("be_army_barysau")) == []


def test_the_threshold_can_be_raised():
    pair = [_path("ru_omon_minsk"), _path("ru_omon_minsk_heavily_reworded")]
    assert len(_dedup(*pair)) == 1
    assert _dedup(*pair, "--threshold", "0.9") == []


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(CommandError, match=f"cannot read {missing}"):
        _dedup(_path("ru_omon_minsk"), str(missing))


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    legacy = tmp_path / "cp1251.txt"
    legacy.write_bytes("Я служил в ОМОНе".encode("cp1251"))
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        _dedup(str(legacy))


def test_the_real_command_exits_0_and_documents_the_threshold():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "solidarity.settings"}
    files = [_path("be_militsyia_mahiliou"), _path("be_militsyia_mahiliou_reworded")]

    result = subprocess.run(
        [sys.executable, "-m", "solidarity", "dedup", *files],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    helped = subprocess.run(
        [sys.executable, "-m", "solidarity", "dedup", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["b"] for line in result.stdout.splitlines()] == [files[1]]
    assert f"Default threshold {stories.DEFAULT_THRESHOLD}" in " ".join(helped.stdout.split())
