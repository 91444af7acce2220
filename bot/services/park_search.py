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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

# Tiers, best first. Lower is better.
EXACT, PREFIX, WORD, ALIAS, FUZZY = range(5)
TIER_NAMES = {EXACT: "exact", PREFIX: "prefix", WORD: "word", ALIAS: "alias", FUZZY: "fuzzy"}

FUZZY_CUTOFF = 72.0  # below this a fuzzy candidate is not a match (it can still be a suggestion)
MAX_CANDIDATES = 300  # fuzzy candidates scored by rapidfuzz per query
MAX_PREFIX_SCAN = 400  # prefix/word hits examined per query
RAREST_GRAMS = 10  # query trigrams used to find fuzzy candidates
MAX_CONTEXT_PARKS = 50  # a context word in more parks than this ("technology") says nothing

_NON_WORD = re.compile(r"[^\w]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def normalise(text: str) -> str:
    """Casefolded, accents removed, punctuation to single spaces: 'Hi-Tech Park' -> 'hi tech park'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def trigrams(text: str) -> set[str]:
    """Trigrams of each word padded with spaces (so word starts and ends count)."""
    grams: set[str] = set()
    for word in text.split():
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


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
        # Sorted (key, k) pairs for prefixes, and (word suffix, k) pairs for words inside names.
        self.sorted_keys = sorted((key, k) for k, key in enumerate(keys))
        suffixes: list[tuple[str, int]] = []
        for k, key in enumerate(keys):
            starts = [m.start() for m in re.finditer(r"(?<= )\S", key)]
            if _CJK.search(key):  # no spaces in Chinese, Japanese, Korean: every character starts a word
                starts = list(range(1, len(key)))
            suffixes.extend((key[s:], k) for s in starts)
        suffixes.sort()
        self.sorted_suffixes = suffixes
        postings: dict[str, list[int]] = defaultdict(list)
        for k, key in enumerate(keys):
            for gram in trigrams(key):
                postings[gram].append(k)
        self.postings = {gram: np.asarray(ks, dtype=np.int32) for gram, ks in postings.items()}
        context: dict[str, set[int]] = defaultdict(set)
        for i, doc in enumerate(self.docs):
            for word in normalise(doc.context).split():
                if len(word) >= 4:
                    context[word].add(i)
        self.context = {w: sorted(d) for w, d in context.items() if len(d) <= MAX_CONTEXT_PARKS}
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
        for k in self._prefixed(self.sorted_keys, q):
            offer(k, ALIAS if self.key_alias[k] else PREFIX, 99.0)
        for k in self._prefixed(self.sorted_suffixes, q):
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

    def _prefixed(self, pairs: Sequence[tuple[str, int]], q: str) -> Iterable[int]:
        i = bisect_left(pairs, (q, -1))
        end = min(len(pairs), i + MAX_PREFIX_SCAN)
        while i < end and pairs[i][0].startswith(q):
            yield pairs[i][1]
            i += 1

    def _fuzzy(self, q: str) -> list[tuple[int, float]]:
        grams = [self.postings[g] for g in trigrams(q) if g in self.postings]
        if not grams:
            return []
        grams.sort(key=len)
        found = np.concatenate(grams[:RAREST_GRAMS])
        counts = np.bincount(found, minlength=len(self.keys))
        if len(counts) > MAX_CANDIDATES:
            candidates = np.argpartition(counts, -MAX_CANDIDATES)[-MAX_CANDIDATES:]
        else:
            candidates = np.arange(len(counts))
        candidates = candidates[counts[candidates] > 0]
        choices = [self.keys[k] for k in candidates]
        scored = process.extract(q, choices, scorer=_score, limit=50, score_cutoff=30)
        return [(int(candidates[position]), float(score)) for _choice, score, position in scored]


def _score(query: str, choice: str, *, score_cutoff: float | None = None, **_kwargs: object) -> float:
    """Whole-string similarity, forgiving a missing word ('bangkok scince' for 'bangkok science park')."""
    whole = fuzz.ratio(query, choice)
    if 5 <= len(query) < len(choice):
        whole = max(whole, 0.9 * fuzz.partial_ratio(query, choice))
    whole = max(whole, 0.95 * fuzz.token_sort_ratio(query, choice))
    return whole if score_cutoff is None or whole >= score_cutoff else 0.0
