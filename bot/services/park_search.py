"""In-memory park search: exact, then prefix, then alias, then fuzzy (rapidfuzz).

The index is built from plain records (no database, no discord) and rebuilt by the park service
whenever the directory changes. It answers in well under a millisecond for the real directory and
in a few milliseconds at 100,000 parks (see ``bench/parks_bench.py``):

- exact names and aliases: a dict lookup;
- prefixes of names and aliases: ``bisect`` on sorted keys;
- words inside names ("science" in "Hsinchu Science Park"): ``bisect`` on sorted word suffixes;
- typos: a trigram index (numpy posting arrays) proposes a few hundred candidates, which rapidfuzz
  then scores; the rarest query trigrams are used first so common ones ("par", "ark") cost nothing.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

# Tiers, best first. Lower is better.
EXACT, PREFIX, WORD, ALIAS, FUZZY = range(5)
TIER_NAMES = {EXACT: "exact", PREFIX: "prefix", WORD: "word", ALIAS: "alias", FUZZY: "fuzzy"}

FUZZY_CUTOFF = 72.0  # below this a fuzzy candidate is not a match (it can still be a suggestion)
MAX_CANDIDATES = 120  # fuzzy candidates scored by rapidfuzz per query
MAX_PREFIX_SCAN = 200  # prefix/word hits examined per query
RAREST_GRAMS = 10  # query trigrams used to find fuzzy candidates
MAX_CONTEXT_PARKS = 50  # a context word in more parks than this ("technology") says nothing

_NON_WORD = re.compile(r"[^\w]+")
_ASCII_PUNCTUATION = str.maketrans({ch: " " for ch in map(chr, range(128)) if not ch.isalnum()})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def normalise(text: str) -> str:
    """Casefolded, accents removed, punctuation to single spaces: 'Hi-Tech Park' -> 'hi tech park'."""
    text = text.casefold()
    if text.isascii():  # the common case, without regular expressions
        return " ".join(text.translate(_ASCII_PUNCTUATION).split())
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def _gram_codes(text: str) -> np.ndarray:
    """Codes of the trigrams of ``' text '`` (word starts and ends count), one uint64 per trigram."""
    points = np.frombuffer(f" {text} ".encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) < 3:
        return np.zeros(0, dtype=np.uint64)
    return (points[:-2] << np.uint64(42)) | (points[1:-1] << np.uint64(21)) | points[2:]


def _postings(keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every trigram of every key at once, in numpy: (sorted codes, slice starts, key numbers)."""
    if not keys:
        return np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    # One string " k0 \x00 k1 \x00 ...": trigrams are taken along it, those touching \x00 dropped.
    text = "\x00".join(f" {key} " for key in keys)
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(key) + 3 for key in keys), dtype=np.int64, count=len(keys))
    owner = np.repeat(np.arange(len(keys), dtype=np.int32), lengths)[: len(points)]
    codes = (points[:-2] << np.uint64(42)) | (points[1:-1] << np.uint64(21)) | points[2:]
    owner = owner[:-2]
    valid = (points[:-2] != 0) & (points[1:-1] != 0) & (points[2:] != 0)
    codes, owner = codes[valid], owner[valid]
    order = np.lexsort((owner, codes))
    codes, owner = codes[order], owner[order]
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])
    codes, owner = codes[keep], owner[keep]
    distinct, starts = np.unique(codes, return_index=True)
    return distinct, np.append(starts, len(codes)).astype(np.int64), owner


def _word_starts(key: str) -> Iterable[int]:
    i = key.find(" ")
    while i != -1:
        yield i + 1
        i = key.find(" ", i + 1)


@dataclass(frozen=True, slots=True)
class ParkDoc:
    """What the index needs to know of a park."""

    slug: str
    name: str
    local_name: str = ""
    aliases: tuple[str, ...] = ()
    country: str = ""
    region: str = ""
    focus: tuple[str, ...] = ()
    # Where it is and what it is (city, country names, description): a query word found here
    # ("bangkok" in "... north of Bangkok") narrows a fuzzy search to the parks that mention it.
    context: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    slug: str
    tier: int
    score: float  # 100 for exact/prefix/alias hits, the rapidfuzz score for fuzzy ones

    @property
    def tier_name(self) -> str:
        return TIER_NAMES[self.tier]


class ParkIndex:
    def __init__(self, docs: Iterable[ParkDoc] = ()) -> None:
        self.docs: list[ParkDoc] = list(docs)
        self.by_slug = {doc.slug: i for i, doc in enumerate(self.docs)}
        # keys: every searchable string of every park, normalised; key_doc / key_is_alias parallel.
        keys: list[str] = []
        key_doc: list[int] = []
        key_alias: list[bool] = []
        for i, doc in enumerate(self.docs):
            seen: set[str] = set()
            for text, alias in (
                (doc.name, False),
                (doc.local_name, False),
                (doc.slug.replace("-", " "), True),
                *((a, True) for a in doc.aliases),
            ):
                key = normalise(text)
                if key and key not in seen:
                    seen.add(key)
                    keys.append(key)
                    key_doc.append(i)
                    key_alias.append(alias)
        self.keys = keys
        self.key_doc = np.asarray(key_doc, dtype=np.int32)
        self.key_alias = key_alias
        self.exact: dict[str, list[int]] = defaultdict(list)
        for k, key in enumerate(keys):
            self.exact[key].append(k)
        # Prefixes: keys sorted, with their key numbers alongside.
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.sorted_keys = [keys[k] for k in order]
        self.sorted_keys_k = order
        # Words inside names: every suffix that starts a word, sorted.
        suffixes: list[str] = []
        suffix_k: list[int] = []
        for k, key in enumerate(keys):
            if _CJK.search(key):  # no spaces in Chinese, Japanese, Korean: every character starts a word
                starts: Iterable[int] = range(1, len(key))
            else:
                starts = _word_starts(key)
            for start in starts:
                suffixes.append(key[start:])
                suffix_k.append(k)
        order = sorted(range(len(suffixes)), key=suffixes.__getitem__)
        self.sorted_suffixes = [suffixes[i] for i in order]
        self.sorted_suffixes_k = [suffix_k[i] for i in order]
        # Trigram postings as two numpy arrays: the sorted distinct trigram codes, and for each the
        # slice of key numbers that contain it.
        self.gram_codes, self.gram_starts, self.gram_keys = _postings(keys)
        context: dict[str, set[int]] = defaultdict(set)
        for i, doc in enumerate(self.docs):
            for word in normalise(doc.context).split():
                if len(word) >= 4:
                    context[word].add(i)
        self.context = {w: sorted(d) for w, d in context.items() if len(d) <= MAX_CONTEXT_PARKS}
        self._fuzzy_cache: dict[str, list[tuple[int, float]]] = {}
        self.countries = {doc.country for doc in self.docs}
        self.regions = {doc.region for doc in self.docs}

    def __len__(self) -> int:
        return len(self.docs)

    # -- searching ------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        where: Callable[[ParkDoc], bool] | None = None,
        fuzzy_cutoff: float = FUZZY_CUTOFF,
    ) -> list[Hit]:
        """The best ``limit`` parks for ``query``, best first; ``where`` filters parks."""
        q = normalise(query)
        if not q or limit <= 0:
            return []
        best: dict[int, tuple[int, float, int]] = {}  # doc -> (tier, -score, key length)

        def offer(k: int, tier: int, score: float = 100.0) -> None:
            doc = int(self.key_doc[k])
            if where is not None and not where(self.docs[doc]):
                return
            rank = (tier, -score, len(self.keys[k]))
            if doc not in best or rank < best[doc]:
                best[doc] = rank

        for k in self.exact.get(q, ()):
            offer(k, ALIAS if self.key_alias[k] else EXACT)
        for k in self._prefixed(self.sorted_keys, self.sorted_keys_k, q):
            offer(k, ALIAS if self.key_alias[k] else PREFIX, 99.0)
        for k in self._prefixed(self.sorted_suffixes, self.sorted_suffixes_k, q):
            offer(k, ALIAS if self.key_alias[k] else WORD, 98.0)
        if sum(1 for rank in best.values() if rank[0] < FUZZY) < limit:
            for k, score in self._fuzzy(q):
                if score >= fuzzy_cutoff:
                    offer(k, FUZZY, score)
            for doc, score in self._in_context(q):
                if score >= fuzzy_cutoff:
                    offer(self._name_key(doc), FUZZY, score)
        ranked = sorted(best.items(), key=lambda item: (item[1], self.docs[item[0]].name))
        return [Hit(self.docs[doc].slug, rank[0], -rank[1]) for doc, rank in ranked[:limit]]

    def suggest(self, query: str, *, limit: int = 3) -> list[str]:
        """The closest slugs however far, for "No park matches 'X'. Did you mean ...?"."""
        return [hit.slug for hit in self.search(query, limit=limit, fuzzy_cutoff=40.0)]

    def _name_key(self, doc: int) -> int:
        return int(np.searchsorted(self.key_doc, doc))  # keys are in doc order; the name comes first

    def _in_context(self, q: str) -> list[tuple[int, float]]:
        """Parks whose context holds a query word, scored on how well the other words fit the name."""
        words = q.split()
        found: list[tuple[int, float]] = []
        for position, word in enumerate(words):
            docs = self.context.get(word, ()) if len(word) >= 4 else ()
            rest = " ".join(words[:position] + words[position + 1 :])
            for doc in docs:
                if not rest:
                    found.append((doc, 80.0))
                    continue
                name = normalise(self.docs[doc].name)
                found.append((doc, 50.0 + 0.5 * _score(rest, name)))
        return found

    def _prefixed(self, strings: list[str], numbers: list[int], q: str) -> Iterable[int]:
        i = bisect_left(strings, q)
        end = min(len(strings), i + MAX_PREFIX_SCAN)
        while i < end and strings[i].startswith(q):
            yield numbers[i]
            i += 1

    def _fuzzy(self, q: str) -> list[tuple[int, float]]:
        cached = self._fuzzy_cache.get(q)
        if cached is None:
            cached = self._fuzzy_uncached(q)
            if len(self._fuzzy_cache) >= 512:
                self._fuzzy_cache.clear()
            self._fuzzy_cache[q] = cached
        return cached

    def _fuzzy_uncached(self, q: str) -> list[tuple[int, float]]:
        codes = np.unique(_gram_codes(q))
        where = np.searchsorted(self.gram_codes, codes)
        where = where[where < len(self.gram_codes)]
        where = where[np.isin(self.gram_codes[where], codes)]
        if len(where) == 0:
            return []
        sizes = self.gram_starts[where + 1] - self.gram_starts[where]
        rarest = where[np.argsort(sizes)[:RAREST_GRAMS]]
        found = np.concatenate(
            [self.gram_keys[self.gram_starts[g] : self.gram_starts[g + 1]] for g in rarest]
        )
        counts = np.bincount(found, minlength=len(self.keys))
        candidates = np.flatnonzero(counts)
        if len(candidates) > MAX_CANDIDATES:
            best = np.argpartition(-counts[candidates], MAX_CANDIDATES)[:MAX_CANDIDATES]
            candidates = candidates[best]
        choices = [self.keys[k] for k in candidates]
        scores = score_all(q, choices)
        order = np.argsort(-scores)[:50]
        return [(int(candidates[i]), float(scores[i])) for i in order if scores[i] >= 30]


def score_all(query: str, choices: list[str]) -> np.ndarray:
    """:func:`_score` of ``query`` against every choice, computed by rapidfuzz in C."""
    if not choices:
        return np.zeros(0)
    whole = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float32)[0]
    whole = np.maximum(
        whole, 0.95 * process.cdist([query], choices, scorer=fuzz.token_sort_ratio, dtype=np.float32)[0]
    )
    if len(query) >= 5:
        partial = process.cdist([query], choices, scorer=fuzz.partial_ratio, dtype=np.float32)[0]
        longer = np.fromiter((len(c) > len(query) for c in choices), dtype=bool, count=len(choices))
        whole = np.where(longer, np.maximum(whole, 0.9 * partial), whole)
    return whole


def _score(query: str, choice: str, *, score_cutoff: float | None = None, **_kwargs: object) -> float:
    """Whole-string similarity, forgiving a missing word ('bangkok scince' for 'bangkok science park')."""
    whole = fuzz.ratio(query, choice)
    if 5 <= len(query) < len(choice):
        whole = max(whole, 0.9 * fuzz.partial_ratio(query, choice))
    whole = max(whole, 0.95 * fuzz.token_sort_ratio(query, choice))
    return whole if score_cutoff is None or whole >= score_cutoff else 0.0
