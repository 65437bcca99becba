"""Bringing Belarusian Cyrillic, Russian Cyrillic and Latin spellings to one Latin form.

The same officer is written "Аляксандр Лукашэнка" (Belarusian), "Александр Лукашенко"
(Russian), "Aliaksandr Lukashenka" (passport romanisation of the Belarusian) and "Alexander
Lukashenko" (English press). No single transliteration standard covers what people type, so
names go through two steps:

1. ``to_latin``: a letter-by-letter transliteration of both Cyrillic alphabets (and of the
   Belarusian Latin alphabet, Łacinka) into plain ASCII, close to the passport spellings.
2. ``name_key``: a lossy "skeleton" that merges what the spellings disagree on: digraphs
   (sh/š/ш → s, kh/h/х/г → g, ts/c/ц and ch/č/ч → c, zh → z, x → ks, w/ў → v), the
   iotation that Belarusian writes and Russian does not (я/ya/ia/ja → a), doubled letters,
   and Belarusian "dzekanne" (дз → d). ``consonant_key`` drops the vowels as well, because
   Belarusian writes unstressed o and e as a ("Лукашэнка"/"Лукашенко", "akanne").

The keys are only ever compared with each other: they need not be readable, only equal (or
close) for spellings of the same name and different for different names. Pure functions,
no state.
"""

from __future__ import annotations

import re
import unicodedata

# Both Cyrillic alphabets. Where they share a letter it has one value; the Belarusian-only
# letters (і, ў) and the Russian-only ones (и, щ, ъ) sit side by side. ь and ъ (softness and
# hardness signs) and the apostrophe carry no sound of their own.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo",
    "є": "ye", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "w", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

# Łacinka and other Latin letters with diacritics that stand for a digraph in English
# spelling. Everything else with a diacritic loses it (é → e) through NFKD below.
_LATIN_SPECIAL = {
    "š": "sh", "ž": "zh", "č": "ch", "ć": "ts", "ś": "s", "ź": "z", "ń": "n", "ł": "l",
    "ŭ": "w", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d",
}  # fmt: skip

# Cyrillic letters that look like Latin ones, for identifiers typed in either script
# ("АВ1234" with Cyrillic А and В is the same badge as "AB1234").
_HOMOGLYPHS = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
}  # fmt: skip

_APOSTROPHES = "'’ʼ`´ʹ"  # Belarusian uses an apostrophe where Russian writes ъ


def _letter(ch: str) -> str:
    if ch in _CYRILLIC:
        return _CYRILLIC[ch]
    if ch in _LATIN_SPECIAL:
        return _LATIN_SPECIAL[ch]
    if ch in _APOSTROPHES:
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base if base.isascii() else " "


def to_latin(text: str) -> str:
    """Lowercase ASCII: letters and digits of ``text`` transliterated, everything else a space."""
    out = []
    for ch in unicodedata.normalize("NFC", text).lower():
        latin = _letter(ch)
        out.append(latin if latin.isalnum() or latin == "" else " ")
    return "".join(out)


_WORD = re.compile(r"[a-z]+|[0-9]+")
# camelCase and letter/digit runs split a handle like "AlesBialiatski1962" into words.
_CAMEL = re.compile(r"(?<=[a-zа-яёіўґ])(?=[A-ZА-ЯЁІЎҐ])")


def words(text: str) -> list[str]:
    """The Latin words of ``text``: letter runs and digit runs, handles split at _ . - and caps."""
    return [latin for _written, latin in written_words(text)]


_WRITTEN = re.compile(r"[^\W\d_]+|\d+")


def written_words(text: str) -> list[tuple[str, str]]:
    """Like ``words``, each with the word as written and a "." if one follows it, so that
    an initial ("А.") can be told from a word ("а", "Я")."""
    split = _CAMEL.sub(" ", text)
    out = []
    for match in _WRITTEN.finditer(split):
        written = match.group() + ("." if split[match.end() : match.end() + 1] == "." else "")
        out.extend((written, latin) for latin in _WORD.findall(to_latin(match.group())))
    return out


# Ordered: longer spellings before the shorter ones they contain ("shch" before "sh").
_DIGRAPHS = [
    ("shch", "s"), ("sch", "s"), ("tsch", "c"), ("tch", "c"), ("zh", "z"), ("sh", "s"),
    ("kh", "g"), ("ch", "c"), ("ts", "c"), ("tz", "c"), ("ph", "f"), ("th", "t"),
    ("dz", "d"), ("x", "ks"), ("q", "k"), ("w", "v"), ("h", "g"),
]  # fmt: skip
_VOWELS = "aeiou"


def name_key(word: str) -> str:
    """The skeleton of one name word (already ``to_latin``). See the module docstring."""
    key = word.lower()
    # A "c" before e/i/y is ц in Łacinka ("Cichanoŭskaja"); elsewhere it is English k
    # ("Victor", "Nicolai"). "ch" is handled with the digraphs.
    key = re.sub(r"c(?=[eiy])", "ts", key)
    key = re.sub(r"c(?!h)", "k", key)
    for spelling, sound in _DIGRAPHS:
        key = key.replace(spelling, sound)
    key = key.replace("j", "y")
    # a/e/o followed by u and a consonant is Belarusian ў ("Tsikhanouskaya", "Yauhen"): v,
    # like в, which Russian writes in the same place. ("iu" is ю, and stays a vowel.)
    key = re.sub(r"(?<=[aeo])u(?=[^aeiouy]|$)", "v", key)
    key = key.replace("y", "i")
    # Iotation: "ia", "ie", "io", "iu" at the start or after a consonant or vowel is how the
    # Belarusian spellings write я/е/ё/ю; Russian spellings mostly do not. Keep the vowel.
    key = re.sub(r"i(?=[aeou])", "", key)
    return _collapse(key)


def _collapse(text: str) -> str:
    """Doubled letters as one: "Gennadiy"/"Genadz", "Alexsandr" after x → ks."""
    return re.sub(r"(.)\1+", r"\1", text)


def consonants_of(key: str) -> str:
    """A ``name_key`` without its vowels: robust to akanne ("Lukashenka"/"Lukashenko")."""
    return _collapse("".join(c for c in key if c not in _VOWELS))


def consonant_key(word: str) -> str:
    return consonants_of(name_key(word))


def identifier(text: str) -> str:
    """A service number or badge as one comparable string: A-Z and 0-9 only.

    Cyrillic letters that look like Latin ones become those letters (the same badge typed in
    either keyboard layout); other Cyrillic letters are transliterated; spaces, dashes,
    dots and slashes are dropped. Case is ignored.
    """
    out = []
    # "№ 123" is the number 123, not "NO123" as NFKC would spell it.
    for ch in unicodedata.normalize("NFKC", text.replace("№", " ")).upper():
        if ch in _HOMOGLYPHS:
            out.append(_HOMOGLYPHS[ch])
        elif ch.isascii():
            out.append(ch if ch.isalnum() else "")
        else:
            out.append(_letter(ch.lower()).upper())
    return "".join(c for c in "".join(out) if c.isascii() and c.isalnum())


def phone(text: str) -> str:
    """A phone number as its digits in international form, or "" if it is not one.

    Belarusian numbers are written "+375 29 123-45-67", "00375291234567" or, inside the
    country, "8 029 123 45 67" / "80291234567": all become "375291234567".
    """
    digits = re.sub(r"[^0-9]", "", text)
    if text.strip().startswith("00"):
        digits = digits[2:]
    elif re.fullmatch(r"80[0-9]{9}", digits):
        digits = "375" + digits[2:]
    return digits if 7 <= len(digits) <= 15 else ""


def handle(text: str) -> str:
    """A messenger username: lowercase, without the leading @ or surrounding space."""
    return text.strip().lstrip("@").strip().lower()
