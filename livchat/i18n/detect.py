"""Which of our two languages (en, pt-BR) a text is written in, when it says so clearly: by the
frequent words of each that are rare in the other (accent-folded), and Portuguese's accents.
Short or mixed texts ("ok", "pix?") say nothing (None)."""

from __future__ import annotations

import re

from livchat.core.text import fold

# Frequent words of each language that are rare in the other (accent-folded).
_PT = frozenset("""
voce voces nao sim como qual quais quando onde porque por que para pra pelo pela meu minha meus minhas seu sua
com sem uma um uns umas do da dos das no na nos nas ao aos e o os as eh esta estou estao tem tenho temos posso pode
podem quero queria gostaria preciso obrigado obrigada valeu oi ola bom boa dia tarde noite ate tchau favor ajuda
pedido entrega prazo troca devolucao reembolso pagamento cartao boleto frete compra produto conta senha cancelar
isso isto esse essa aqui ali mais muito muita tambem ja ainda entao fazer faco fiz consigo atendente pessoa humano
quanto quanta quantos quantas custa custo preco valor vezes assinatura mensalidade garantia loja lojas horario
funciona funcionamento endereco cadastro trocar devolver receber recebi chegou chega demora esqueci alguem
vcs tb pq hoje amanha ontem semana mes dias horas obg vlw tudo bem nada nenhum nenhuma sobre depois antes
""".split())
_EN = frozenset("""
the you your yours how what which when where why who is are was were be been can could would should will do does
did i my me mine we our to of and for with without from this that these those there here it its hi hello hey thanks
thank please help order delivery shipping refund return payment card account password cancel want need get have
has not no yes an a about any some more much also just still then make talk person human agent someone
much many price cost costs does long time store stores open opening hours warranty subscription buy bought
received arrived return returns change forgot nothing anything something after before today tomorrow week
""".split())
_ACCENTED = re.compile("[ãõçáéíóúâêôà]")
_WORD = re.compile(r"[a-z]+")


def detect(text: str) -> str | None:
    """'pt-BR' or 'en' when the text clearly is, else None."""
    words = _WORD.findall(fold(text))
    if not words:
        return None
    pt = sum(word in _PT for word in words)
    en = sum(word in _EN for word in words)
    if _ACCENTED.search(text.lower()):
        pt += 2
    if pt >= 2 and pt >= 2 * en + 1:
        return "pt-BR"
    if en >= 2 and en >= 2 * pt + 1:
        return "en"
    if len(words) <= 2 and pt != en:  # "obrigado", "thanks!", "oi"
        return "pt-BR" if pt > en else "en"
    return None
