"""What a visitor's message asks for, by accent-folded phrases in English and Brazilian Portuguese:
a person (hand the conversation to an operator), a thank-you or goodbye (resolve it), a bare
greeting (greet back). Anything else is a question for the knowledge base.

Phrases are matched on word boundaries of the folded text ("Atendente!" and "falar com alguém"
match "atendente" and "falar com alguem"); a thank-you that also asks something ("thanks, and how
do I pay?") is a question.
"""

from __future__ import annotations

import re
from enum import StrEnum

from livchat.core.text import fold


class Intent(StrEnum):
    HUMAN = "human"
    THANKS = "thanks"
    GREETING = "greeting"
    QUESTION = "question"


HUMAN_PHRASES = (
    # English
    "human", "humans", "a person", "real person", "someone real", "talk to someone", "speak to someone",
    "speak with someone", "talk with someone", "operator", "representative", "live agent", "human agent",
    "real agent", "talk to an agent", "speak to an agent", "speak with an agent", "talk to a person",
    "speak to a person", "customer service rep", "support team", "transfer me", "connect me to",
    "staff member", "call center",
    # Brazilian Portuguese
    "humano", "humana", "atendente", "atendentes", "atendimento humano", "pessoa de verdade", "pessoa real",
    "falar com uma pessoa", "falar com alguem", "falar com um ser humano", "falar com gente", "operador",
    "operadora", "me transfere", "me transfira", "transferir para", "suporte humano", "falar com o suporte",
    "falar com a equipe", "falar com voces", "um funcionario", "uma funcionaria",
)
THANKS_PHRASES = (
    # English
    "thanks", "thank you", "thank u", "thx", "ty", "cheers", "bye", "goodbye", "good bye", "see you",
    "that's all", "thats all", "that is all", "that helped", "all good", "got it", "perfect", "great",
    "awesome", "ok thanks", "appreciate it",
    # Brazilian Portuguese
    "obrigado", "obrigada", "obrigadao", "muito obrigado", "muito obrigada", "obg", "brigado", "brigada",
    "valeu", "vlw", "agradeco", "tchau", "ate mais", "ate logo", "ate breve", "era isso", "era so isso",
    "so isso", "resolvido", "resolveu", "perfeito", "otimo", "show", "beleza", "blz", "falou",
)
GREETING_PHRASES = (
    "hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening", "hi there", "hello there",
    "oi", "ola", "opa", "e ai", "eai", "bom dia", "boa tarde", "boa noite", "tudo bem", "tudo bom", "oie",
)
# Words that carry no request of their own around a thank-you or a greeting.
FILLER = frozenset("""
ok okay so very much a lot of for the help your you all and that this it was is i am im really really so muito
pela pelo a o e ajuda sua seu tudo entao certo ta bom boa td bem ai aí ne nossa demais mesmo
""".split())

_WORD = re.compile(r"[a-z0-9']+")


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(fold(p)) for p in phrases), key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])")


_HUMAN = _pattern(HUMAN_PHRASES)
_THANKS = _pattern(THANKS_PHRASES)
_GREETING = _pattern(GREETING_PHRASES)


def _rest(folded: str, pattern: re.Pattern[str]) -> list[str]:
    """The words left once the phrases and the filler words are taken out."""
    return [w for w in _WORD.findall(pattern.sub(" ", folded)) if w not in FILLER]


def classify(text: str) -> Intent:
    folded = fold(text)
    if _HUMAN.search(folded):
        return Intent.HUMAN
    asks = "?" in folded
    if _THANKS.search(folded) and not asks and len(_rest(folded, _THANKS)) <= 2:
        return Intent.THANKS
    if _GREETING.search(folded) and not asks and len(_rest(folded, _GREETING)) <= 1:
        return Intent.GREETING
    return Intent.QUESTION


def asks_for_human(text: str) -> bool:
    return classify(text) == Intent.HUMAN
