"""Reading files: every supported kind on real small files, the kind from the bytes, and each
refusal with its code and reason. Chunking: headings carried, neighbours overlapping, words whole."""

from __future__ import annotations

import itertools
import re

import pytest

from livchat.services.knowledge.chunking import chunk_blocks, split_text
from livchat.services.knowledge.errors import (
    FileTooLarge,
    UnreadableFile,
    UnsupportedFileType,
)
from livchat.services.knowledge.extract import (
    OLE_MAGIC,
    Block,
    extract,
    html_to_blocks,
    probe,
    sniff,
)
from tests.knowledge.knowledge_support import PNG, make_docx, make_pdf, make_zip

RETURNS = "Política de devolução\nVocê pode devolver o produto em até 7 dias corridos.\nO reembolso sai em 5 dias úteis."


def test_pdf_text_with_accents_page_by_page() -> None:
    data = make_pdf([RETURNS, "Second page: shipping takes 3 days."])
    assert sniff(data, "manual.pdf") == "pdf"
    probe(data, "pdf")
    result = extract(data, "pdf")
    assert [b.level for b in result.blocks] == [0, 0]
    assert "devolução" in result.blocks[0].text and "5 dias úteis" in result.blocks[0].text
    assert result.blocks[1].text == "Second page: shipping takes 3 days."


def test_docx_headings_paragraphs_and_tables_in_order() -> None:
    data = make_docx([(1, "Trocas e devoluções"), (0, "Até 7 dias após a entrega."), (2, "Reembolso"),
                      (0, "Estornado no cartão.")], table=[["Plano", "Preço"], ["Básico", "R$ 29"]], title="Ajuda")
    assert sniff(data, "ajuda.docx") == "docx"
    result = extract(data, "docx")
    assert result.title == "Ajuda"
    assert [(b.level, b.text) for b in result.blocks] == [
        (1, "Trocas e devoluções"), (0, "Até 7 dias após a entrega."), (2, "Reembolso"), (0, "Estornado no cartão."),
        (0, "Plano | Preço"), (0, "Básico | R$ 29")]


def test_markdown_headings_links_and_code() -> None:
    text = ("---\ntitle: FAQ\n---\n# FAQ\n\nSee [our policy](https://x.test) and **read it**.\n\nShipping\n--------\n"
            "Three days.\n```\n# a comment, not a heading\n```\n")
    data = text.encode()
    assert sniff(data, "faq.md") == "markdown"
    assert [(b.level, b.text) for b in extract(data, "markdown").blocks] == [
        (1, "FAQ"), (0, "See our policy and read it."), (2, "Shipping"), (0, "Three days.\n# a comment, not a heading")]


def test_plain_text_in_utf8_latin1_and_utf16() -> None:
    for encoded in (RETURNS.encode("utf-8"), RETURNS.encode("cp1252"), RETURNS.encode("utf-16")):
        assert sniff(encoded, "notes.txt") == "text"
        assert extract(encoded, "text").blocks[0].text.startswith("Política de devolução")


def test_html_keeps_headings_and_drops_scripts_styles_navigation_and_hidden_parts() -> None:
    page = """<!DOCTYPE html><html><head><title>Ajuda &amp; Suporte</title><style>p{color:red}</style>
    <script>document.write('<h1>injected</h1>')</script></head><body><nav><a href="/">Início</a></nav>
    <h1>Política de <em>devolução</em></h1><p>Devolva em até 7&nbsp;dias.</p><div hidden>segredo</div>
    <h2>Prazos</h2><ul><li>Capitais: 2 dias</li><li>Interior: 5 dias</li></ul><footer>© Loja</footer></body></html>"""
    assert sniff(page.encode(), "index") == "html"  # no extension: the markup says so
    result = html_to_blocks(page)
    assert result.title == "Ajuda & Suporte"
    assert [(b.level, b.text) for b in result.blocks] == [
        (1, "Política de devolução"), (0, "Devolva em até 7 dias."), (2, "Prazos"), (0, "Capitais: 2 dias"),
        (0, "Interior: 5 dias")]
    text = " ".join(b.text for b in result.blocks)
    assert "injected" not in text and "segredo" not in text and "color" not in text and "Início" not in text


def test_the_bytes_decide_the_kind_not_the_name() -> None:
    assert sniff(make_pdf([RETURNS]), "photo.png", "image/png") == "pdf"  # a PDF renamed .png is a PDF
    with pytest.raises(UnsupportedFileType) as png:
        sniff(PNG, "manual.pdf", "application/pdf")  # a PNG renamed .pdf is still an image
    assert png.value.reason == "unsupported_type" and png.value.status == 415
    with pytest.raises(UnreadableFile) as fake_pdf:
        sniff(b"just some text", "manual.pdf")  # named a PDF, holds none
    assert fake_pdf.value.reason == "corrupt"


@pytest.mark.parametrize(("data", "name", "error", "reason"), [
    (b"", "a.txt", UnreadableFile, "empty"),
    (b"  \n\t ", "a.txt", UnreadableFile, "empty"),
    (PNG, "a.png", UnsupportedFileType, "unsupported_type"),
    (b"\x7fELF\x02\x01\x01" + bytes(64), "a.bin", UnsupportedFileType, "unsupported_type"),
    (bytes(range(256)) * 8, "blob", UnsupportedFileType, "unsupported_type"),
    (make_zip({"xl/workbook.xml": b"<x/>"}), "sheet.xlsx", UnsupportedFileType, "unsupported_type"),
    (OLE_MAGIC + bytes(504), "old.doc", UnsupportedFileType, "legacy_office"),
    (OLE_MAGIC + bytes(100) + "EncryptedPackage".encode("utf-16-le"), "locked.docx", UnreadableFile, "encrypted"),
    (make_docx([(0, "x")])[:300], "cut.docx", UnreadableFile, "corrupt"),
])
def test_refused_by_their_bytes(data: bytes, name: str, error: type, reason: str) -> None:
    with pytest.raises(error) as refused:
        sniff(data, name)
    assert refused.value.reason == reason


@pytest.mark.parametrize(("data", "reason"), [
    (make_pdf([RETURNS], user_password="s3cret"), "encrypted"),
    (make_pdf([None, None]), "no_text"),  # scanned: images, no text layer
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", "corrupt"),
    (make_pdf([RETURNS])[:400], "corrupt"),
])
def test_unreadable_pdfs(data: bytes, reason: str) -> None:
    assert sniff(data, "x.pdf") == "pdf"
    with pytest.raises(UnreadableFile) as refused:
        probe(data, "pdf")
    assert refused.value.reason == reason and refused.value.code == "unreadable_file"
    assert refused.value.message("pt-BR") != refused.value.message("en")


def test_a_pdf_with_only_an_owner_password_opens() -> None:
    data = make_pdf([RETURNS], owner_password="owner-only")
    probe(data, "pdf")
    assert "devolução" in extract(data, "pdf").blocks[0].text


def test_a_docx_that_inflates_too_far_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from livchat.services.knowledge import extract as module

    data = make_docx([(0, "x")])
    monkeypatch.setattr(module, "MAX_DOCX_UNZIPPED_BYTES", 1000)  # a limit, not our code under test
    with pytest.raises(UnreadableFile) as refused:
        extract(data, "docx")
    assert refused.value.reason == "corrupt"


def test_too_much_text_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from livchat.services.knowledge import extract as module

    monkeypatch.setattr(module, "MAX_TEXT_CHARS", 100)  # a limit, not our code under test
    with pytest.raises(FileTooLarge) as refused:
        extract(("word " * 50).encode(), "text")
    assert refused.value.reason == "too_much_text" and refused.value.status == 413


# --- chunking ------------------------------------------------------------------------------------

SENTENCES = [f"Sentence number {n} explains one more detail of the return policy." for n in range(60)]


def test_chunks_carry_their_heading_path_and_never_span_sections() -> None:
    blocks = [Block(1, "Help"), Block(0, "Welcome."), Block(2, "Returns"), Block(0, " ".join(SENTENCES)),
              Block(3, "Deadlines"), Block(0, "Seven days."), Block(2, "Shipping"), Block(0, "Three days.")]
    chunks = chunk_blocks(blocks, size=400, overlap=80)
    headings = [c.heading for c in chunks]
    assert headings[0] == "Help" and headings[-2:] == ["Help > Returns > Deadlines", "Help > Shipping"]
    assert set(headings[1:-2]) == {"Help > Returns"} and len(headings) > 5
    assert chunks[-1].text == "Three days." and [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[1].for_embedding.startswith("Help > Returns\n")


def test_neighbouring_chunks_overlap_and_words_stay_whole() -> None:
    text = " ".join(SENTENCES)
    pieces = split_text(text, 400, 120)
    assert all(len(p) <= 400 for p in pieces) and len(pieces) > 5
    words = set(text.split())
    for previous, current in itertools.pairwise(pieces):
        assert set(current.split()) <= words and set(previous.split()) <= words  # nothing cut mid-word
        shared = current[:60]
        assert shared in previous, "the next chunk starts inside the previous one"
        assert current.startswith("Sentence"), "the overlap starts at a sentence"
    # Every sentence survives somewhere, whole.
    assert all(any(s in p for p in pieces) for s in SENTENCES)


def test_a_word_longer_than_a_chunk_is_the_only_thing_cut() -> None:
    pieces = split_text("short start " + "x" * 900 + " end", 400, 100)
    assert "".join(pieces).replace(" ", "").count("x") >= 900 and all(len(p) <= 400 for p in pieces)


def test_no_heading_and_a_short_text_is_one_chunk() -> None:
    chunks = chunk_blocks([Block(0, "Only a line.")], size=1000, overlap=150)
    assert [(c.heading, c.text) for c in chunks] == [("", "Only a line.")]
    assert re.fullmatch(r"Only a line\.", chunks[0].for_embedding)
