from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.screening import stories

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: a story is a few KB; anything larger is not one


def read_texts(paths: list[str]) -> dict[str, str]:
    """Each file's text by its path as given. Raises CommandError naming the first bad file."""
    texts: dict[str, str] = {}
    for path in paths:
        if path in texts:
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(
                _("cannot read %(path)s: %(reason)s")
                % {"path": path, "reason": exc.strerror or exc}
            ) from None
        if len(data) > MAX_FILE_BYTES:
            raise CommandError(_("%(path)s is larger than 1 MiB: not a story") % {"path": path})
        try:
            texts[path] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(
                _("%(path)s is not UTF-8 text (convert it, e.g. iconv -f cp1251 -t utf-8)")
                % {"path": path}
            ) from None
    return texts


class Command(BaseCommand):
    help = (
        "Find near-duplicate stories among plain-text files (UTF-8). Prints one JSON line per "
        'pair at or above the threshold, {"a": path, "b": path, "similarity": float}, with a '
        "before b in argument order, and nothing for pairs below it; exits 0. Similarity is the "
        "Jaccard index of the stories' shingles: stem pairs and 5-character grams inside each "
        "sentence, after lowercasing, transliterating Cyrillic to Latin, dropping function "
        "words and cutting Russian, Belarusian and English endings, so reordered sentences, "
        "reordered paragraphs and a few swapped synonyms still match. Default threshold "
        f"{stories.DEFAULT_THRESHOLD}: reworded copies score 0.41 and above, independent "
        "stories of the same events 0.11 and below (docs/screening.md). Candidates are found "
        "with MinHash and LSH, not by comparing every pair. Files with fewer than "
        f"{stories.MIN_VOCABULARY} different words are not compared. Nothing is stored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="Plain-text story files.")
        parser.add_argument(
            "--threshold",
            type=float,
            default=stories.DEFAULT_THRESHOLD,
            help=f"Report pairs at or above this similarity (0-1, default {stories.DEFAULT_THRESHOLD}).",
        )

    def handle(self, *args, files: list[str], threshold: float, **options) -> None:
        if not 0.0 < threshold <= 1.0:
            raise CommandError(_("--threshold must be above 0 and at most 1"))
        for pair in stories.near_duplicates(read_texts(files), threshold):
            self.stdout.write(
                json.dumps(
                    {"a": pair.a, "b": pair.b, "similarity": pair.similarity}, ensure_ascii=False
                )
            )
