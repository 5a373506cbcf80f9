"""`make eval`: the offline agent on the evaluation set (tests/agent/eval: a CC0 help centre of eight
articles in pt-BR and en, 60 questions with the article that answers each, requests for a person,
off-topic questions, thanks and goodbyes).

The corpus is ingested through the real pipeline with the configured embedder (EVAL_EMBEDDER,
default `use`: the offline USE model; `hashed` for the tests' one), then each question is asked
through the playground service (no conversation) to the extractive agent. Printed and written to
bench/results/eval.json:
- retrieval hit@3: answerable questions whose article is among the search's top 3 passages;
- escalation accuracy: questions handed to a person exactly when they should be (requests for a
  person and off-topic questions escalate; answerable questions, thanks and goodbyes do not);
- citation rate: answers that cite the expected article (and answers citing anything at all);
- resolution: thanks and goodbyes that resolve;
- the calibration of relevance.py: escalation accuracy on the answerable and off-topic questions
  for each pair of thresholds (meaning alone, with a shared word), the best pair, the similarities seen.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from pathlib import Path
from typing import Any

from bench.knowledge import _Sandbox

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "tests" / "agent" / "eval"


def load_questions() -> list[dict[str, Any]]:
    return json.loads((EVAL_DIR / "questions.json").read_text())["questions"]


async def ingest_corpus(actor: Any) -> None:
    from livchat.services.knowledge import files, ingestion

    for path in sorted((EVAL_DIR / "corpus").glob("*.md")):
        await files.upload_file(actor, path.name, path.read_bytes())
    await ingestion.run_until_idle()
    listed, _ = await files.list_files(actor, limit=50)
    failed = [f.filename for f in listed if f.status != "ready"]
    if failed:
        raise RuntimeError(f"corpus files not ingested: {failed}")


async def _organization() -> Any:
    from livchat.core.db import db
    from livchat.core.ids import new_id
    from livchat.models.accounts import Organization
    from livchat.models.enums import Role
    from livchat.services.actors import Actor

    async with db.session() as session:
        org = Organization(id=new_id("org"), name="Aurora", slug=new_id("eval"))
        session.add(org)
        await session.commit()
    return Actor(organization_id=org.id, role=Role.ADMIN)


async def evaluate() -> dict[str, Any]:
    """Ingest, ask every question, score. Needs a migrated database (see `run`)."""
    from livchat.services.agent import playground, relevance
    from livchat.services.agent.extractive import ExtractiveAgent
    from livchat.services.knowledge.embedders import get_embedder
    from livchat.services.knowledge.search import search_chunks

    actor = await _organization()
    await get_embedder().warm()
    await ingest_corpus(actor)
    questions = load_questions()
    agent = ExtractiveAgent()
    cases = []
    for item in questions:
        hits = await search_chunks(actor.organization_id, item["q"], 5)
        answer = await playground.ask(actor, item["q"], language=item["lang"], agent=agent)
        similarities = [h.similarity for h in hits if h.similarity is not None]
        cases.append({
            **item, "action": answer.action, "reason_given": answer.reason, "language_answered": answer.language,
            "top3": [h.filename for h in hits[:3]], "best_similarity": max(similarities, default=None),
            "hits": [{"file": h.filename, "similarity": h.similarity, "score": h.score,
                      "shared_words": len(relevance.content_words(item["q"]) &
                                          relevance.content_words(f"{h.heading} {h.text}"))} for h in hits],
            "cited": [s.filename for s in answer.sources], "ms": answer.duration_ms})
    return score(cases, relevance.thresholds(), get_embedder().id)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(cases: list[dict[str, Any]], threshold: tuple[float, float], embedder: str) -> dict[str, Any]:
    answerable = [c for c in cases if c["expect"] == "answer"]
    off_topic = [c for c in cases if c.get("reason") == "no_answer" and c["expect"] == "escalate"]
    humans = [c for c in cases if c["expect"] == "escalate" and c not in off_topic]
    closing = [c for c in cases if c["expect"] == "resolve"]
    answered = [c for c in answerable if c["action"] == "answer"]
    escalation_right = [c for c in cases if (c["action"] == "escalate") == (c["expect"] == "escalate")]
    grid = []
    for high_step in range(10, 71):
        for low_step in range(0, high_step + 1, 2):
            limits = (high_step / 100, low_step / 100)
            grid.append({"high": limits[0], "low": limits[1], **_accuracy(answerable, off_topic, limits)})
    best = max(grid, key=lambda g: (g["accuracy"], -abs(g["high"] - threshold[0]) - abs(g["low"] - threshold[1])))
    sims_answerable = [c["best_similarity"] for c in answerable if c["best_similarity"] is not None]
    sims_off = [c["best_similarity"] for c in off_topic if c["best_similarity"] is not None]
    return {
        "embedder": embedder, "thresholds": list(threshold), "questions": len(cases),
        "hit_at_3": _share(sum(c["file"] in c["top3"] for c in answerable), len(answerable)),
        "escalation_accuracy": _share(len(escalation_right), len(cases)),
        "human_request_escalated": _share(sum(c["action"] == "escalate" for c in humans), len(humans)),
        "off_topic_escalated": _share(sum(c["action"] == "escalate" for c in off_topic), len(off_topic)),
        "answerable_answered": _share(len(answered), len(answerable)),
        "citation_rate": _share(sum(c["file"] in c["cited"] for c in answered), len(answered)),
        "answers_citing_any": _share(sum(bool(c["cited"]) for c in answered), len(answered)),
        "resolved": _share(sum(c["action"] == "resolve" for c in closing), len(closing)),
        "language_followed": _share(sum(c["language_answered"] == c["lang"] for c in cases), len(cases)),
        "median_answer_ms": round(statistics.median(c["ms"] for c in cases), 1),
        "calibration": {
            "configured": {"high": threshold[0], "low": threshold[1],
                           **_accuracy(answerable, off_topic, threshold)},
            "best": best, "answerable_similarity": _spread(sims_answerable), "off_topic_similarity": _spread(sims_off),
            "grid_top": sorted(grid, key=lambda g: -g["accuracy"])[:15]},
        "cases": cases,
    }


def _relevant(hit: dict[str, Any], limits: tuple[float, float]) -> bool:
    """relevance.is_relevant on a recorded hit: similar enough on meaning alone, or sharing a word and
    similar enough for that."""
    similarity = hit["similarity"] or 0.0
    return similarity >= limits[0] or (similarity >= limits[1] and hit["shared_words"] >= 1)


def _accuracy(answerable: list[dict[str, Any]], off_topic: list[dict[str, Any]],
              limits: tuple[float, float]) -> dict[str, Any]:
    answered = sum(any(_relevant(h, limits) for h in c["hits"]) for c in answerable)
    escalated = sum(not any(_relevant(h, limits) for h in c["hits"]) for c in off_topic)
    return {"accuracy": _share(answered + escalated, len(answerable) + len(off_topic)),
            "answerable_answered": answered, "off_topic_escalated": escalated}


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def run() -> dict[str, object]:
    sandbox = _Sandbox()
    embedder = os.environ.get("EVAL_EMBEDDER", "use")
    try:
        from livchat.core import migrations
        from livchat.core.db import db

        sandbox.configure(LIVCHAT_EMBEDDER=embedder, OPENAI_API_KEY="", LIVCHAT_AGENT="extractive")
        db.configure(None)
        migrations.upgrade()
        result = asyncio.run(evaluate())
    finally:
        sandbox.close()
    misses = [{"q": c["q"], "expect": c["expect"], "file": c.get("file", ""), "action": c["action"],
               "top3": ", ".join(c["top3"]), "similarity": round(c["best_similarity"] or 0, 3),
               "cited": ", ".join(c["cited"])}
              for c in result["cases"]
              if (c["expect"] == "answer" and (c["action"] != "answer" or c["file"] not in c["cited"]))
              or (c["expect"] != "answer" and c["action"] != c["expect"])]
    rows = [{"metric": key, "value": result[key]} for key in (
        "embedder", "questions", "hit_at_3", "escalation_accuracy", "human_request_escalated",
        "off_topic_escalated", "answerable_answered", "citation_rate", "answers_citing_any", "resolved",
        "language_followed", "median_answer_ms")]
    calibration = result["calibration"]
    configured, best = calibration["configured"], calibration["best"]
    rows += [{"metric": "thresholds (meaning alone / with a shared word): accuracy",
              "value": f"{configured['high']} / {configured['low']}: {configured['accuracy']}"},
             {"metric": "best thresholds on this set: accuracy",
              "value": f"{best['high']} / {best['low']}: {best['accuracy']}"},
             {"metric": "similarity, answerable (min/median/max)", "value": _fmt(calibration["answerable_similarity"])},
             {"metric": "similarity, off-topic (min/median/max)", "value": _fmt(calibration["off_topic_similarity"])}]
    return {"title": f"Agent evaluation: offline extractive agent, {result['questions']} questions "
                     f"(tests/agent/eval), embedder {result['embedder']}",
            "rows": rows, "misses": misses, "result": result}


def _fmt(spread: dict[str, float] | None) -> str:
    return "–" if spread is None else f"{spread['min']} / {spread['median']} / {spread['max']}"


if __name__ == "__main__":
    from bench.__main__ import print_table

    outcome = run()
    print_table(str(outcome["title"]), outcome["rows"])  # type: ignore[arg-type]
    print_table("Misses", outcome["misses"])  # type: ignore[arg-type]
