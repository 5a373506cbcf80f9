"""When is a knowledge-base passage relevant enough for the agent to answer with it?

By the cosine similarity of its meaning to the question (the search's `similarity`). The threshold
depends on the embedder (their similarity scales differ), so it is calibrated per embedder family
on the evaluation set (tests/agent/eval/: a corpus of help-centre articles in en and pt-BR, questions
whose answer is in it and off-topic ones that must be handed to a person; `make eval` prints the
sweep). LIVCHAT_AGENT_MIN_SIMILARITY overrides it.

Calibration (bench/results/eval.json, `make eval` and `EVAL_EMBEDDER=hashed make eval`): the best
passage's similarity for answerable questions against off-topic ones, threshold picked where the
two separate best (escalation accuracy first, then hit@3):
- USE multilingual (offline default): answerable 0.19–0.77 (median 0.45), off-topic 0.04–0.24
  (median 0.11); threshold 0.25.
- hashed words + trigrams (tests): answerable 0.15–0.55, off-topic 0.02–0.17; threshold 0.18.
- OpenAI text-embedding-3-*: not measurable offline here; 0.30 (its related pairs usually score
  0.3–0.7, unrelated 0.0–0.2). Other compatible servers: set LIVCHAT_AGENT_MIN_SIMILARITY.

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

THRESHOLDS = {"use": 0.25, "hashed": 0.18, "openai": 0.30}
DEFAULT_THRESHOLD = 0.30
RELATIVE_MARGIN = 0.12  # passages beyond the first must be this close to the best one to be quoted too

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset("""
a an the of to in on at by for from with and or is are was were be been do does did can could would should i you
we they it my your our their me how what which when where why who this that there here please about any some
o a os as um uma uns umas de do da dos das no na nos nas em por para pra com e ou que qual quais como quando onde
eu voce voces meu minha seu sua nosso nossa isso isto esse essa e eh ser estar tem ter posso pode se nao sim mais
""".split())


def threshold() -> float:
    configured = get_settings().agent_min_similarity.strip()
    if configured:
        return float(configured)
    return THRESHOLDS.get(configured_choice(), DEFAULT_THRESHOLD)


def content_words(text: str) -> set[str]:
    """Folded words that carry meaning, cut to 5 letters (a cheap stem: "devolução"/"devolver")."""
    return {w[:5] for w in _WORD.findall(fold(text)) if w not in STOPWORDS and len(w) > 1}


def shares_words(question: str, passage: str) -> bool:
    wanted = content_words(question)
    if not wanted:
        return False
    shared = len(wanted & content_words(passage))
    return shared >= 2 and shared * 2 >= len(wanted) or shared == len(wanted) == 1


def is_relevant(hit: SearchHitOut, question: str, minimum: float | None = None) -> bool:
    if hit.similarity is None:
        return shares_words(question, f"{hit.heading} {hit.text}")
    return hit.similarity >= (threshold() if minimum is None else minimum)


def relevant(hits: Sequence[SearchHitOut], question: str, *, limit: int = 3,
             minimum: float | None = None) -> list[SearchHitOut]:
    """The passages worth quoting, best first: relevant ones close enough to the best."""
    chosen = [h for h in hits if is_relevant(h, question, minimum)]
    if not chosen:
        return []
    best = max((h.similarity for h in chosen if h.similarity is not None), default=None)
    if best is not None:
        chosen = [h for h in chosen if h.similarity is None or h.similarity >= best - RELATIVE_MARGIN]
    return sorted(chosen, key=lambda h: -(h.similarity if h.similarity is not None else h.score))[:limit]
