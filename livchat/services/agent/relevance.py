"""When is a knowledge-base passage relevant enough for the agent to answer with it?

By the cosine similarity of its meaning to the question (the search's `similarity`), with two
thresholds: a passage is relevant when its similarity reaches the first on meaning alone, or the
second, lower one when it also shares a content word with the question (folded, stopwords out,
cut to 5 letters as a cheap stem). Similarity scales differ between embedders, so both are
calibrated per embedder family on the evaluation set (tests/agent/eval: eight help-centre articles
in pt-BR and en, 40 answerable questions, 8 off-topic ones that must go to a person; `make eval`
prints the grid, bench/results/eval.json keeps it). LIVCHAT_AGENT_MIN_SIMILARITY overrides the first.

Calibration, best passage's similarity among the top 5, answerable vs off-topic:
- USE multilingual (the offline default): answerable 0.13–0.66 (median 0.42), off-topic 0.04–0.32
  (median 0.09). 0.30 alone / 0.12 with a shared word: 44 of 48 right (37/40 answered, 7/8 handed
  off); the set's best pair (0.33 / 0.08, 47/48) is tighter than these few questions can justify.
  Overall: escalation accuracy 0.93, hit@3 0.975, citation rate 1.0.
- hashed words + trigrams (the tests' embedder): answerable 0.16–0.70 (median 0.31), off-topic
  0.15–0.36 (median 0.28): meaning alone cannot tell them apart, shared words do. 0.45 / 0.10: 43/48.
- OpenAI text-embedding-3-* (not measurable offline here): 0.40 / 0.25, from its usual scale
  (related pairs about 0.35–0.7, unrelated 0.0–0.25). Another compatible server: set the setting.

Without a similarity (the embedder was unreachable and the search ran on words alone), a passage is
relevant when it shares at least half of the question's content words (at least two).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from livchat.core.settings import get_settings
from livchat.core.text import fold
from livchat.services.knowledge.embedders import configured_choice
from livchat.services.knowledge.schemas import SearchHitOut

# (on meaning alone, sharing a word with the question) per embedder family.
THRESHOLDS: dict[str, tuple[float, float]] = {"use": (0.30, 0.12), "hashed": (0.45, 0.10), "openai": (0.40, 0.25)}
DEFAULT_THRESHOLDS = (0.40, 0.25)
RELATIVE_MARGIN = 0.15  # passages beyond the first must be this close to the best one to be quoted too

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset("""
a an the of to in on at by for from with and or is are was were be been do does did can could would should i you
we they it my your our their me how what which when where why who this that there here please about any some
o a os as um uma uns umas de do da dos das no na nos nas em por para pra com e ou que qual quais como quando onde
eu voce voces meu minha seu sua nosso nossa isso isto esse essa e eh ser estar tem ter posso pode se nao sim mais
""".split())


def thresholds() -> tuple[float, float]:
    """(on meaning alone, with a shared word) for the configured embedder; the setting overrides
    the first (and caps the second)."""
    high, low = THRESHOLDS.get(configured_choice(), DEFAULT_THRESHOLDS)
    configured = get_settings().agent_min_similarity.strip()
    if configured:
        high = float(configured)
        low = min(low, high)
    return high, low


def threshold() -> float:
    return thresholds()[0]


def content_words(text: str) -> set[str]:
    """Folded words that carry meaning, cut to 5 letters (a cheap stem: "devolução"/"devolver")."""
    return {w[:5] for w in _WORD.findall(fold(text)) if w not in STOPWORDS and len(w) > 1}


def shares_words(question: str, passage: str) -> bool:
    wanted = content_words(question)
    if not wanted:
        return False
    shared = len(wanted & content_words(passage))
    return (shared >= 2 and shared * 2 >= len(wanted)) or shared == len(wanted) == 1


def is_relevant(hit: SearchHitOut, question: str, limits: tuple[float, float] | None = None) -> bool:
    if hit.similarity is None:
        return shares_words(question, f"{hit.heading} {hit.text}")
    high, low = limits or thresholds()
    return hit.similarity >= high or (
        hit.similarity >= low and bool(content_words(question) & content_words(f"{hit.heading} {hit.text}")))


def relevant(hits: Sequence[SearchHitOut], question: str, *, limit: int = 3) -> list[SearchHitOut]:
    """The passages worth quoting, in the search's order (meaning and words fused): the relevant
    ones whose similarity is close enough to the best one's."""
    limits = thresholds()
    chosen = [h for h in hits if is_relevant(h, question, limits)]
    best = max((h.similarity for h in chosen if h.similarity is not None), default=None)
    if best is not None:
        chosen = [h for h in chosen if h.similarity is None or h.similarity >= best - RELATIVE_MARGIN]
    return chosen[:limit]
