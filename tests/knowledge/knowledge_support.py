"""Small real documents made in the test (PDF with pypdf's writer, DOCX with python-docx), and
what "nothing was stored" means for an organization."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from pypdf import PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)
from sqlmodel import select

from livchat.core.db import db
from livchat.core.settings import get_settings
from livchat.models.support import KnowledgeFile
from livchat.services.knowledge import store

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[str | None], *, user_password: str | None = None, owner_password: str | None = None) -> bytes:
    """A PDF with one page per item: its text lines in Helvetica (WinAnsi, so accents survive), or
    for None a page that only holds an image, like a scan without OCR."""
    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    for text in pages:
        page = writer.add_blank_page(612, 792)
        contents = DecodedStreamObject()
        if text is None:
            image = DecodedStreamObject()
            image.set_data(bytes(range(0, 256, 4)))
            image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                          NameObject("/Width"): NumberObject(8), NameObject("/Height"): NumberObject(8),
                          NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                          NameObject("/BitsPerComponent"): NumberObject(8)})
            resources = {NameObject("/XObject"): DictionaryObject({NameObject("/Im1"): writer._add_object(image)})}
            contents.set_data(b"q 500 0 0 700 50 50 cm /Im1 Do Q")
        else:
            operations = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
            operations += [f"({_escape(line)}) Tj T*" for line in text.split("\n")]
            contents.set_data("\n".join([*operations, "ET"]).encode("cp1252"))
            resources = {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        page[NameObject("/Contents")] = writer._add_object(contents)
        page[NameObject("/Resources")] = DictionaryObject(resources)
    if user_password is not None or owner_password is not None:
        writer.encrypt(user_password=user_password or "", owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(blocks: list[tuple[int, str]], table: list[list[str]] | None = None, title: str = "") -> bytes:
    """(level, text) blocks: 0 a paragraph, 1–6 a heading."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    for level, text in blocks:
        if level:
            document.add_heading(text, level=level)
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def stored_files(organization_id: str) -> list[Path]:
    folder = get_settings().data_dir / "knowledge" / "files" / organization_id
    return sorted(folder.iterdir()) if folder.exists() else []


async def file_rows(organization_id: str) -> list[KnowledgeFile]:
    async with db.session() as session:
        return list((await session.exec(select(KnowledgeFile).where(
            KnowledgeFile.organization_id == organization_id))).all())


async def nothing_stored(organization_id: str) -> bool:
    """No row, no stored copy, no chunk (not even a table) for the organization."""
    return (not await file_rows(organization_id) and not stored_files(organization_id)
            and await store.embedder_of(organization_id) is None)
