"""Near-duplicate detection between articles: the same news republished elsewhere.

Police units republish MOPS texts ("Źródło: MOPS w Radomsku"), regional centres quote the
first paragraphs of a MOPS report: the copies are whole or partial. Similarity is the
*containment* of word 5-shingle sets, |A ∩ B| / min(|A|, |B|), so a partial copy of a
longer text still counts. Candidates come from MinHash LSH (32 bands of 2 rows: a pair
with Jaccard 0.3 becomes a candidate with probability 0.95), so a new article is compared
with a handful of others, not with the whole store.

The work per article is bounded whatever the store holds. A site serving thousands of
copies of one text puts them all in the same LSH buckets, and comparing each new copy
with every earlier one (and recording every pair) made indexing quadratic: 950,131 pairs
after 1,379 articles. So an LSH bucket keeps its first ``BUCKET_CAP`` articles only (a
later one is still indexed in its other, less crowded buckets), a new article is compared
with at most ``BANDS * BUCKET_CAP`` candidates, and it is linked to at most ``MAX_LINKS``
of them, the most similar. A copy in a crowded bucket is therefore linked to the earliest
copies of its text rather than to every copy; two articles that share a bucket with few
others are linked as before.

The 64 signature values come from one-permutation hashing with rotation densification
(Shrivastava and Li, 2014): each shingle hash falls in one of 64 bins by its low bits and
a bin keeps its smallest value; an empty bin borrows from the next filled bin to its
right, marked by the distance. Two sets agree on a bin with probability close to their
Jaccard similarity, as with 64 independent permutations, for one pass over the shingles
instead of 64 (the permutations cost 3 ms an article, the crawl's largest cost). Stores
keep ``SCHEME`` and rebuild their LSH index from the stored shingles when it changes.

Written here rather than taken from datasketch: that library pulls in numpy and scipy
for a few dozen lines of integer arithmetic.
"""

from __future__ import annotations

import hashlib
import re
import struct
from array import array

SHINGLE_WORDS = 5
BANDS, ROWS = 32, 2
# Two articles are near-duplicates when this share of the shorter one's shingles is in
# the other; 0.6 keeps "first three paragraphs + one sentence" and drops two texts that
# merely share an institution's name and a date.
CONTAINMENT_THRESHOLD = 0.6
# How band keys are made: a store whose index was built another way rebuilds it.
SCHEME = "oph64-rotation-1"
# Articles kept per LSH bucket, and near-duplicates recorded per new article. Eight copies
# of one story is more than the crawled sites republish (a MOPS report, the police unit
# and a regional centre: three); past that, the bucket is a site repeating itself. A
# store whose buckets were filled with another cap trims them on opening.
BUCKET_CAP = 8
MAX_LINKS = 8
_SLOTS, _SLOT_BITS = BANDS * ROWS, 6
_EMPTY = 1 << 64
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str) -> set[int]:
    """64-bit hashes of the text's lower-cased word 5-grams (whole text if shorter)."""
    words = _WORD.findall(text.lower())
    if not words:
        return set()
    grams = (" ".join(words[i:i + SHINGLE_WORDS])
             for i in range(max(1, len(words) - SHINGLE_WORDS + 1)))
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big")
            for g in grams}


def signature(shingle_set: set[int]) -> list[tuple[int, int]]:
    """The set's 64 one-permutation MinHash values as (distance borrowed, value)."""
    bins = [_EMPTY] * _SLOTS
    for s in shingle_set:
        slot, value = s & (_SLOTS - 1), s >> _SLOT_BITS
        if value < bins[slot]:
            bins[slot] = value
    filled = [i for i, v in enumerate(bins) if v != _EMPTY]
    if len(filled) == _SLOTS:
        return [(0, v) for v in bins]
    signature = []
    for i, v in enumerate(bins):
        if v != _EMPTY:
            signature.append((0, v))
        else:  # the next filled bin to the right, circularly
            j = next((f for f in filled if f > i), filled[0])
            signature.append(((j - i) % _SLOTS, bins[j]))
    return signature


def band_keys(shingle_set: set[int]) -> list[tuple[int, int]]:
    """(band, bucket hash) pairs of the set's MinHash signature, for the LSH index."""
    if not shingle_set:
        return []
    values = signature(shingle_set)
    keys = []
    for band in range(BANDS):
        rows = [x for pair in values[band * ROWS:(band + 1) * ROWS] for x in pair]
        digest = hashlib.blake2b(struct.pack(f">{2 * ROWS}Q", *rows), digest_size=8).digest()
        keys.append((band, int.from_bytes(digest, "big", signed=True)))
    return keys


def containment(a: set[int], b: set[int]) -> float:
    """|a ∩ b| / min(|a|, |b|); 0 for an empty set."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def best_links(own: set[int], candidates: list[tuple[str, set[int]]]
               ) -> list[tuple[str, float]]:
    """The candidates ``own`` is a near-duplicate of, as (id, containment rounded to 3
    places): the ``MAX_LINKS`` most similar, ties broken by id."""
    scored = []
    for other, shingle_set in candidates:
        score = containment(own, shingle_set)
        if score >= CONTAINMENT_THRESHOLD:
            scored.append((other, round(score, 3)))
    scored.sort(key=lambda link: (-link[1], link[0]))
    return scored[:MAX_LINKS]


def pack(shingle_set: set[int]) -> bytes:
    """The shingle set as bytes for the store."""
    return array("Q", sorted(shingle_set)).tobytes()


def unpack(blob: bytes) -> set[int]:
    """Inverse of ``pack``."""
    values = array("Q")
    values.frombytes(blob)
    return set(values)
