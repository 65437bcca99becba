"""Near-duplicate stories: the same account resubmitted with its sentences reworded.

A story is read as sentences of *stems*: each word is lowercased, dropped if it is a
function word ("и", "the", "і"), transliterated to Latin (so Cyrillic and Latin spellings
meet) and crudely stemmed: a Russian, Belarusian or English ending is cut and the stem kept
to at most ``STEM_LENGTH`` letters ("уволили"/"уволился", "resigned"/"resignation").
Sentences are only ever looked at one by one, so reordering sentences or paragraphs
changes nothing. From that come two sets:

* the *shingles*, which decide: the stem pairs of each sentence (``w:``, word order inside
  a sentence) and the character ``CHAR_NGRAM``-grams of each sentence's stems (``c:``, which
  survive a synonym swap and small spelling edits better than whole words). ``similarity``
  is their Jaccard index, and ``DEFAULT_THRESHOLD`` separates the reworded copies in
  ``tests/stories/`` (0.41 and above) from independent stories of the same events by other
  officers (0.11 at most, median 0.04); docs/screening.md has the table.
* the *vocabulary* (the set of stems), which finds candidates. A rewording keeps most of
  the words even where it breaks their pairs (reworded copies share 0.62 or more of it,
  unrelated stories at most 0.18, median 0.09), so it is what locality-sensitive hashing
  looks at: a MinHash signature of the vocabulary cut into ``BANDS`` bands of ``ROWS``
  values; two stories are candidates if any band is equal. At 0.62 a pair is a candidate
  with probability 0.994, at 0.18 with 0.03, at the typical 0.09 with 0.002. Only
  candidates are compared, so the work grows with the number of stories, not of pairs.

MinHash hashes every element with a caller-given 32-bit hash. The screening run passes a
keyed one (``solidarity.vault.screening_keys.shingle_hasher``), so the signatures and bands
it stores cannot be recomputed from a guessed story without the screening key; the
``dedup`` command, which stores nothing, uses datasketch's default.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from datasketch import MinHash

from solidarity.screening import translit

# Jaccard of the shingles at or above which two stories are flagged. Measured on
# tests/stories/: reworded copies 0.41-0.87, unrelated stories of one language 0.11 at most
# (median 0.04). 0.25 leaves a wide margin on both sides; lower it to catch heavier
# rewording at the price of more pairs for a coordinator to clear.
DEFAULT_THRESHOLD = 0.25
STEM_LENGTH = 6  # letters kept of a stem: enough to tell words apart, short enough to drop endings
CHAR_NGRAM = 5
# Stories with fewer different stems are too short to tell a copy from a coincidence
# ("Уволился, прошу помочь с долгом"); they are not compared.
MIN_VOCABULARY = 12
NUM_PERM = 128  # MinHash size: 128 × 4 bytes per story
BANDS, ROWS = 32, 4  # BANDS × ROWS = NUM_PERM; the S-curve's midpoint is (1/32)^(1/4) ≈ 0.42
_MINHASH_SEED = 20200809  # fixed: signatures of two runs must be comparable
# Changing anything above (or the stemming) changes every stored signature and band: rows
# carry this version and are rebuilt when it changes.
INDEX_VERSION = 1

Hash32 = Callable[[bytes], int]

_SENTENCE_END = re.compile(r"[.!?…;:\n]+")
_WORD = re.compile(r"\w+")

# Function words of Russian, Belarusian and English, in their own scripts: they carry no
# content, so two unrelated stories share them, and a rewording adds and removes them.
STOPWORDS = frozenset(
    """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее её мне было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже
    или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они
    тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под
    будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем
    чтобы нее кажется сейчас были куда зачем всех никогда можно при наконец два об другой
    хоть после над больше тот через эти нас про всего них какая много разве три эту моя
    впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда
    конечно всю между это мои мою моей нам вы
    і ў у не што ён на я з са як а то ўсе яна так яго але ды ты да ж вы за б па толькі
    яе мне было вось ад мяне яшчэ няма аб з яму цяпер калі нават ці ужо ўжо або ні быць быў
    там потым сябе нічога ёй можа яны тут дзе ёсць трэба для мы цябе іх чым была сам каб
    без чаго раз таксама сабе пад будзе тады хто гэты таго таму гэтага які зусім гэтым
    адзін амаль мой тым можна пры пасля над больш той праз гэтыя нас пра усяго ўсяго якая
    шмат гэту мая гэтай перад лепш такі ім заўсёды гэта мае маю маёй нам
    the a an and or but of to in on at by for with from as is was were be been am are it its
    this that these those i me my we our us he him his she her they them their you your not
    no so than then there here which who whom what when where why how all any some would
    could should will shall can may might must do did does had has have just also into out
    up down over about after before again once only very
    """.split()
)

# Compared after transliteration, so a story typed in Latin letters ("ya sluzhil v OMONe")
# loses the same words as in Cyrillic.
_STOPWORDS_LATIN = frozenset(translit.to_latin(w).replace(" ", "") for w in STOPWORDS)

# Endings cut before truncating (the longest that leaves three letters), written as
# ``translit.to_latin`` spells them (я → ya, ю → yu, ы/й → y, ў → w, ь → nothing).
_ENDINGS = frozenset(
    # Russian: participles, adjectives, nouns, verbs (reflexive forms included)
    """
    yushchikh yushchiy yushchaya ayushchiy vshikh vshiy vshaya ennyy ennaya ennye ennykh
    ogo ego omu emu ymi imi ykh ikh yye iye aya yaya oye eye uyu yuyu yy iy oy ey ym im
    ami yami akh yakh ov ev om em iya ie ii ye yu ya a u e i y o
    tsya sya lsya lasya losya lisya ilsya alsya la lo li il al ili ala ila ite ete
    esh ish et it ut yut at yat t s
    """
    # Belarusian, where it differs: -ць, -ца, -ўся, -ў, -аў, -ам, -ага, -аму, -ыя, -ія
    """
    ts tsa wsya lisya lasya iw aw ew ow w am yam aga oga amu ymu yya ay eyu oyu
    """
    # English
    """
    ations ation ings ing edly ed es s ly er ers ment ments ness
    """.split()
)
_LONGEST_ENDING = max(map(len, _ENDINGS))


def sentences(text: str) -> list[str]:
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def stem(word: str) -> str:
    """A crude, language-blind stem of one lowercased word (see the module docstring)."""
    return _stem_latin(translit.to_latin(word).replace(" ", ""))


def _stem_latin(latin: str) -> str:
    for size in range(min(_LONGEST_ENDING, len(latin) - 3), 0, -1):
        if latin[-size:] in _ENDINGS:
            latin = latin[:-size]
            break
    return latin[:STEM_LENGTH]


def sentence_stems(sentence: str) -> list[str]:
    out = []
    for word in _WORD.findall(sentence.lower()):
        latin = translit.to_latin(word).replace(" ", "")
        if latin in _STOPWORDS_LATIN or word.isdigit():
            continue
        stemmed = _stem_latin(latin)
        if stemmed:
            out.append(stemmed)
    return out


@dataclass(frozen=True)
class Sketch:
    """What screening needs of one story; built in memory, never stored as such."""

    shingles: frozenset[str]
    vocabulary: frozenset[str]

    @property
    def comparable(self) -> bool:
        return len(self.vocabulary) >= MIN_VOCABULARY


def sketch(text: str) -> Sketch:
    shingles: set[str] = set()
    vocabulary: set[str] = set()
    for sentence in sentences(text):
        stems = sentence_stems(sentence)
        vocabulary.update(stems)
        shingles.update(f"w:{a} {b}" for a, b in zip(stems, stems[1:], strict=False))
        if len(stems) == 1:
            shingles.add(f"w:{stems[0]}")
        joined = " ".join(stems)
        shingles.update(
            "c:" + joined[i : i + CHAR_NGRAM] for i in range(len(joined) - CHAR_NGRAM + 1)
        )
    return Sketch(frozenset(shingles), frozenset(vocabulary))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(text_a: str, text_b: str) -> float:
    """How much of two stories is the same account, from 0 to 1 (exact, not estimated)."""
    return jaccard(sketch(text_a).shingles, sketch(text_b).shingles)


def signature(items: frozenset[str], hash32: Hash32 | None = None) -> np.ndarray:
    """The MinHash signature of a set: NUM_PERM unsigned 32-bit values."""
    minhash = MinHash(num_perm=NUM_PERM, seed=_MINHASH_SEED, hashfunc=hash32, scheme="affine32")
    if items:
        minhash.update_batch([item.encode("utf-8") for item in sorted(items)])
    return minhash.hashvalues.astype("<u4")


def signature_bytes(items: frozenset[str], hash32: Hash32 | None = None) -> bytes:
    return signature(items, hash32).tobytes()


def estimate(signature_a: bytes, signature_b: bytes) -> float:
    """The Jaccard index estimated from two signatures (standard error ≈ 0.04 at 0.25)."""
    a = np.frombuffer(signature_a, dtype="<u4")
    b = np.frombuffer(signature_b, dtype="<u4")
    if a.shape != b.shape or not a.size:
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size


def bands(vocabulary: frozenset[str], hash32: Hash32 | None = None) -> list[bytes]:
    """The LSH band values of a story: two stories are candidates if any one is equal.

    Each value starts with its band number, so equal rows in different bands never meet.
    """
    values = signature(vocabulary, hash32)
    return [
        band.to_bytes(1, "big") + values[band * ROWS : (band + 1) * ROWS].tobytes()
        for band in range(BANDS)
    ]


def candidate_pairs(sketches: Mapping[Hashable, Sketch]) -> set[tuple[Hashable, Hashable]]:
    """Pairs of keys whose vocabularies share an LSH band, each as (earlier, later)."""
    order = {key: n for n, key in enumerate(sketches)}
    buckets: dict[bytes, list[Hashable]] = defaultdict(list)
    for key, item in sketches.items():
        if item.comparable:
            for value in bands(item.vocabulary):
                buckets[value].append(key)
    candidates: set[tuple[Hashable, Hashable]] = set()
    for members in buckets.values():
        for a, b in combinations(members, 2):
            candidates.add((a, b) if order[a] < order[b] else (b, a))
    return candidates


@dataclass(frozen=True)
class Pair:
    a: Hashable
    b: Hashable
    similarity: float


def near_duplicates(
    texts: Mapping[Hashable, str], threshold: float = DEFAULT_THRESHOLD
) -> list[Pair]:
    """Pairs of ``texts`` at or above ``threshold``, in the order the keys were given.

    Candidates come from LSH buckets of the vocabularies; each candidate is then compared
    exactly. Stories too short to compare are left out.
    """
    sketches = {key: sketch(text) for key, text in texts.items()}
    order = {key: n for n, key in enumerate(sketches)}
    pairs = []
    for a, b in sorted(candidate_pairs(sketches), key=lambda p: (order[p[0]], order[p[1]])):
        score = jaccard(sketches[a].shingles, sketches[b].shingles)
        if score >= threshold:
            pairs.append(Pair(a, b, round(score, 3)))
    return pairs
