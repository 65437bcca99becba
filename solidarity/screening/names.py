"""Finding the names of a list of people in free text, across scripts and with typos.

Each name word becomes a ``NameToken`` (its ``translit.name_key`` and ``consonant_key``).
Two words are compared with a Damerau-Levenshtein distance (optimal string alignment) in
which one vowel for another costs half: Belarusian and Russian spellings of a name differ
mostly in vowels ("Ігар"/"Игорь", "Алег"/"Олег"). The score of two words is the mean of the
similarity of their full keys and of their consonant keys (the latter only when both have
at least three consonants ("Oleg" and "Olga" share "lg" and must stay apart) and only when
the full keys are already fairly close ("Anton"/"Antonina" share every consonant).

A list entry is found in a text when every required word of the entry (given name and
surname; a patronymic is optional) matches a distinct word of the text, all within a window
only one word wider than the entry, each with a score of at least ``WORD_THRESHOLD`` and on
average at least ``NAME_THRESHOLD``. Initials ("А. Лукашенко") match a word by its first
letter, at a lower score. Candidate words are found through an index of consonant keys and
their one-letter deletions (the "symmetric delete" trick), so a story is compared with the
few entries that could match, not with the whole list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from solidarity.screening import translit

# Measured on the table in tests/test_names.py: whole names spelt differently score 0.89 or
# more; different words that must not pass alone (Petrov/Petrakov, Oleg/Olga, Anton/Antonina)
# 0.78 or less. Gendered forms (Ivanov/Ivanova) pass as a word, so a name needs two words.
WORD_THRESHOLD = 0.8
NAME_THRESHOLD = 0.85
# An initial is weak evidence: it lets "A. Lukashenko" through only if the surname is close.
INITIAL_SCORE = 0.8
_VOWEL_SUBSTITUTION = 0.5  # cost of o↔a, e↔a, i↔e: akanne and transliteration habits
# Below this full-key similarity the consonant key is not consulted ("Яўген"/"Евгений" are
# at 0.75 and need it; "Anton"/"Antonina", at 0.63, must not get it).
_CONSONANTS_FROM = 0.7
# No full-key similarity below this can reach WORD_THRESHOLD even with the consonant key
# (the mean of 0.6 and 1.0 is 0.8); used to skip the distance for words of unlike length.
_LENGTH_FLOOR = 2 * WORD_THRESHOLD - 1.0

# Forms of a given name that differ by more than spelling between Belarusian and Russian.
# The first of each group is the canonical key; all are written as an applicant would.
_GIVEN_NAME_GROUPS = [
    ("Николай", "Мікалай", "Mikalai", "Mikalay"),
    ("Дмитрий", "Зміцер", "Zmitser", "Zmicier"),
    ("Анна", "Ганна", "Hanna"),
    ("Иосиф", "Язэп", "Yazep"),
    ("Константин", "Кастусь", "Kastus"),
    ("Елена", "Алена", "Alena", "Alyona"),
]
_CANONICAL: dict[str, str] = {}
for _group in _GIVEN_NAME_GROUPS:
    _keys = [translit.name_key(translit.to_latin(spelling)) for spelling in _group]
    for _key in _keys[1:]:
        _CANONICAL.setdefault(_key, _keys[0])


@dataclass(frozen=True)
class NameToken:
    key: str
    consonants: str
    word: str = field(default="", compare=False)  # as written (in Latin), for the coordinator

    @property
    def is_initial(self) -> bool:
        return len(self.key) == 1

    @property
    def first(self) -> str:
        return self.key[:1]


def _token(word: str) -> NameToken | None:
    if not word.isalpha():
        return None
    key = translit.name_key(word)
    if not key:
        return None
    key = _CANONICAL.get(key, key)
    return NameToken(key=key, consonants=translit.consonants_of(key), word=word)


def name_tokens(text: str, *, lowercase_initials: bool = True) -> list[NameToken]:
    """The name words of ``text`` in order (digits dropped: they are not names).

    With ``lowercase_initials`` off (free text), a one-letter word is an initial only when
    written as one, a capital and a full stop ("А."): "а", "и", "Я", "I" are ordinary words.
    """
    out = []
    for written, latin in translit.written_words(text):
        token = _token(latin)
        if token is None:
            continue
        as_initial = written[:1].isupper() and written.endswith(".")
        if token.is_initial and not lowercase_initials and not as_initial:
            continue
        out.append(token)
    return out


_VOWELS = frozenset("aeiou")


def distance(a: str, b: str) -> float:
    """Damerau-Levenshtein distance (optimal string alignment) with cheap vowel swaps."""
    if a == b:
        return 0.0
    before: list[float] = []
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        current = [float(i)] + [0.0] * len(b)
        vowel = ca in _VOWELS
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                cost = 0.0
            elif vowel and cb in _VOWELS:
                cost = _VOWEL_SUBSTITUTION
            else:
                cost = 1.0
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        before, previous = previous, current
    return previous[-1]


def _similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 - distance(a, b) / longest if longest else 0.0


def word_similarity(a: NameToken, b: NameToken) -> float:
    """How alike two name words are, from 0 to 1 (see the module docstring)."""
    if a.key == b.key:
        return 1.0
    longest = max(len(a.key), len(b.key))
    gap = abs(len(a.key) - len(b.key)) / longest
    if gap > 1 - _LENGTH_FLOOR:
        # The distance is at least the length difference: the score cannot reach a
        # threshold, so the bound itself is returned without computing the distance.
        return 1.0 - gap
    full = _similarity(a.key, b.key)
    # Consonants help only words that are already alike: "Anton" and "Antonina" share
    # every consonant ("ntn") but are different names.
    if full >= _CONSONANTS_FROM and len(a.consonants) >= 3 and len(b.consonants) >= 3:
        return (full + _similarity(a.consonants, b.consonants)) / 2
    return full


def similarity(name_a: str, name_b: str) -> float:
    """How alike two whole names are, in any word order (0 when a word finds no partner).

    For tests and for the coordinator's list page; matching in text uses ``NameMatcher``.
    """
    a, b = name_tokens(name_a), name_tokens(name_b)
    if not a or not b or len(a) != len(b):
        return 0.0
    used: set[int] = set()
    total = 0.0
    for token in a:
        best, best_j = 0.0, -1
        for j, other in enumerate(b):
            if j not in used and (score := word_similarity(token, other)) > best:
                best, best_j = score, j
        if best_j < 0 or best < WORD_THRESHOLD:
            return 0.0
        used.add(best_j)
        total += best
    return total / len(a)


_PATRONYMIC_ENDINGS = ("vic", "vna", "icna", "ic")


def _looks_patronymic(token: NameToken) -> bool:
    return len(token.key) >= 6 and token.key.endswith(_PATRONYMIC_ENDINGS)


@dataclass(frozen=True)
class ListedName:
    """A name from the list, split into the words that must match and those that may."""

    entry: Hashable
    required: tuple[NameToken, ...]
    optional: tuple[NameToken, ...]


class NameTooWeakError(ValueError):
    """The name has fewer than two words (or only initials): matching it would flag strangers."""


def listed_name(entry: Hashable, name: str) -> ListedName:
    """Split a listed person's name. Raises NameTooWeakError.

    A patronymic (second word of "Given Patronymic Surname" or third of "Surname Given
    Patronymic", or the second of two initials) is optional, as applicants rarely write it. Surnames ending like one
    ("Lukashevich") stay required because only one such position is optional.
    """
    tokens = name_tokens(name)
    optional: list[NameToken] = []
    if len(tokens) >= 3:
        for position in (1, 2):
            if _looks_patronymic(tokens[position]):
                optional.append(tokens.pop(position))
                break
    # "Карпенко И. В.": the second initial is the patronymic's, optional like the word.
    initials = [t for t in tokens if t.is_initial]
    for extra in initials[1:]:
        tokens.remove(extra)
        optional.append(extra)
    full = [t for t in tokens if not t.is_initial]
    if len(tokens) < 2 or not any(len(t.key) >= 3 for t in full):
        raise NameTooWeakError("a name needs a given name (or initial) and a surname")
    return ListedName(entry=entry, required=tuple(tokens), optional=tuple(optional))


# Case endings of Russian and Belarusian names as they come out of ``name_key``: a story says
# "у Александра", "с Иваном Ивановым", "Ольгу". A word is also tried without one of them,
# at a small discount, because "Ivanova" may be a different (female) person.
_CASE_ENDINGS = ("ogo", "ego", "omu", "emu", "om", "em", "im", "am", "oi", "ei", "a", "u", "e", "i")
_DECLINED = 0.97
_ADJECTIVAL = ("sk", "ck", "zk")  # surnames in -ский/-цкий/-зкий decline like adjectives


def _forms(token: NameToken) -> list[tuple[NameToken, float]]:
    """The word as written, and as it might be in the nominative, with their weights."""
    out = [(token, 1.0)]
    for ending in _CASE_ENDINGS:
        stem = token.key[: -len(ending)]
        if token.key.endswith(ending) and len(stem) >= 3:
            out.append((NameToken(stem, translit.consonants_of(stem), token.word), _DECLINED))
            if stem.endswith(_ADJECTIVAL):
                # "Тихановским" is "Тихановский" (key "...ski") in the nominative.
                nominative = stem + "i"
                out.append(
                    (
                        NameToken(nominative, translit.consonants_of(nominative), token.word),
                        _DECLINED,
                    )
                )
    return out


def _blocking_keys(token: NameToken) -> set[str]:
    keys = {"k:" + token.key, "c:" + token.consonants}
    if len(token.consonants) >= 4:
        c = token.consonants
        keys.update("c:" + c[:i] + c[i + 1 :] for i in range(len(c)))
    return keys


@dataclass(frozen=True)
class NameHit:
    entry: Hashable
    score: float
    words: str  # the words found, transliterated: only ever shown to a coordinator, sealed


class NameMatcher:
    """An index of the listed names, to find them in any number of texts."""

    def __init__(self, names: Iterable[ListedName]) -> None:
        self.names = list(names)
        self._index: dict[str, set[tuple[int, int]]] = defaultdict(set)
        # Each listed word in its own possible nominative forms too: the list may say
        # "Сяргей", a story "Сергеем" (both reduce to "serg…").
        self._forms: dict[tuple[int, int], list[tuple[NameToken, float]]] = {}
        # Word pairs already compared: stories share most of their words, so over a run of
        # hundreds of cases most comparisons repeat. Lives as long as the matcher (one run).
        self._memo: dict[tuple[str, str], float] = {}
        for n, name in enumerate(self.names):
            for w, token in enumerate(name.required):
                if not token.is_initial:
                    self._forms[(n, w)] = _forms(token)
                    for form, _weight in self._forms[(n, w)]:
                        for key in _blocking_keys(form):
                            self._index[key].add((n, w))

    def _score(self, listed: tuple[int, int], form: NameToken, weight: float) -> float:
        best = 0.0
        for listed_form, listed_weight in self._forms[listed]:
            pair = (listed_form.key, form.key)
            if pair not in self._memo:
                self._memo[pair] = word_similarity(listed_form, form)
            best = max(best, self._memo[pair] * listed_weight * weight)
        return best

    def find(self, text: str, *, handle: bool = False) -> list[NameHit]:
        """Every listed name found in ``text``, best score per entry, best first.

        ``handle``: the text is a messenger username, where "a_lukashenko" starts with an
        initial although it is not a capital.
        """
        tokens = name_tokens(text, lowercase_initials=handle)
        # (name index) -> {(required word index, text position): score}
        candidates: dict[int, dict[tuple[int, int], float]] = defaultdict(dict)
        for position, token in enumerate(tokens):
            if token.is_initial:
                continue
            best: dict[tuple[int, int], float] = {}
            for form, weight in _forms(token):
                pairs = set().union(*(self._index.get(k, ()) for k in _blocking_keys(form)))
                for pair in pairs:
                    best[pair] = max(best.get(pair, 0.0), self._score(pair, form, weight))
            for (n, w), score in best.items():
                if score >= WORD_THRESHOLD:
                    candidates[n][(w, position)] = score
        hits = []
        for n, found in candidates.items():
            hit = self._best_window(self.names[n], found, tokens)
            if hit is not None:
                hits.append(hit)
        return sorted(hits, key=lambda h: -h.score)

    def _best_window(
        self, name: ListedName, found: dict[tuple[int, int], float], tokens: list[NameToken]
    ) -> NameHit | None:
        width = len(name.required) + 1  # one word more: a patronymic or middle name between
        best: NameHit | None = None
        anchors = {p for (w, p) in found if len(name.required[w].key) >= 3}
        for anchor in sorted(anchors):
            lo, hi = max(0, anchor - width + 1), min(len(tokens), anchor + width)
            options = []
            for w, listed in enumerate(name.required):
                for p in range(lo, hi):
                    score = found.get((w, p))
                    if score is None and (listed.is_initial or tokens[p].is_initial):
                        score = INITIAL_SCORE if listed.first == tokens[p].first else None
                    if score is not None:
                        options.append((score, w, p))
            # Greedy by score: with at most four words per name it finds the best assignment
            # in practice, without trying every permutation.
            chosen: dict[int, tuple[int, float]] = {}
            taken: set[int] = set()
            for score, w, p in sorted(options, reverse=True):
                if w not in chosen and p not in taken:
                    chosen[w] = (p, score)
                    taken.add(p)
            if len(chosen) != len(name.required):
                continue
            positions = [p for p, _ in chosen.values()]
            if max(positions) - min(positions) + 1 > width:
                continue
            if not any(
                not name.required[w].is_initial and not tokens[p].is_initial
                for w, (p, _) in chosen.items()
            ):
                continue
            mean = sum(s for _, s in chosen.values()) / len(chosen)
            if mean >= NAME_THRESHOLD and (best is None or mean > best.score):
                found_words = " ".join(t.word for t in tokens[min(positions) : max(positions) + 1])
                best = NameHit(name.entry, round(mean, 3), found_words)
        return best
