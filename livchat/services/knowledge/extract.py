"""Text out of an uploaded file: what kind it is (from its bytes; the name and declared type are
hints), whether it can be read at all (`probe`, cheap: run while the upload waits, so a refused
file stores nothing), and all of its text as headings and passages (`extract`, in the ingestion job).

Supported: PDF (pypdf), Word .docx (python-docx), plain text, Markdown and HTML (a small converter
on the standard library's parser: scripts, styles and navigation dropped, headings kept). All of
it is synchronous and CPU-bound: callers run it in a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Literal

from livchat.services.knowledge.errors import (
    FileTooLarge,
    UnreadableFile,
    UnsupportedFileType,
)

if TYPE_CHECKING:  # pypdf is imported when a PDF arrives, not at start-up
    from pypdf import PageObject, PdfReader

Kind = Literal["pdf", "docx", "html", "markdown", "text"]
KINDS: tuple[Kind, ...] = ("pdf", "docx", "html", "markdown", "text")
CONTENT_TYPES: dict[Kind, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "markdown": "text/markdown",
    "text": "text/plain",
}
MAX_TEXT_CHARS = 5_000_000  # about 5,000 chunks: past this, split the file
MAX_DOCX_UNZIPPED_BYTES = 200 * 1024 * 1024  # a .docx that inflates past this is a zip bomb
MAX_DOCX_ENTRIES = 10_000

# pypdf reports every oddity of a damaged file as a warning on its logger: those are not ours to log.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Block:
    """A heading (`level` 1–6) or a passage of body text (`level` 0)."""

    level: int
    text: str


@dataclass(frozen=True)
class Extracted:
    kind: Kind
    blocks: list[Block]
    title: str = ""  # an HTML page's <title>, a .docx's core title

    @property
    def char_count(self) -> int:
        return sum(len(b.text) for b in self.blocks)


# --- what kind of file ---------------------------------------------------------------------------

_EXTENSIONS: dict[str, Kind] = {
    "pdf": "pdf", "docx": "docx", "html": "html", "htm": "html", "xhtml": "html", "md": "markdown",
    "markdown": "markdown", "mdown": "markdown", "txt": "text", "text": "text", "csv": "text", "log": "text",
}
_DECLARED: dict[str, Kind] = {v: k for k, v in CONTENT_TYPES.items()} | {
    "application/xhtml+xml": "html", "text/x-markdown": "markdown", "text/csv": "text"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Formats we recognise and refuse (images, audio, video, archives, executables, PostScript).
_REFUSED_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!",
                  b"\x7fELF", b"MZ", b"OggS", b"ID3", b"fLaC", b"%!PS", b"BM", b"II*\x00", b"MM\x00*",
                  b"\x00\x00\x01\x00", b"wOFF", b"wOF2", b"\x28\xb5\x2f\xfd", b"BZh", b"\xfd7zXZ")


def _hint(filename: str, declared_type: str | None) -> Kind | None:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    return _DECLARED.get((declared_type or "").split(";")[0].strip().lower())


def sniff(data: bytes, filename: str = "", declared_type: str | None = None) -> Kind:
    """The kind of file `data` is. The bytes decide; the name and declared type only choose among
    the text formats, and say a file is damaged when they claim a format its bytes are not."""
    hint = _hint(filename, declared_type)
    if not data.strip():
        raise UnreadableFile("empty")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(OLE_MAGIC):
        # Password-protected .docx/.xlsx are OLE containers holding an "EncryptedPackage" stream.
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise UnreadableFile("encrypted")
        raise UnsupportedFileType("legacy_office")
    if data.startswith(_REFUSED_MAGIC) or data[4:8] == b"ftyp":
        raise UnsupportedFileType("unsupported_type")
    if hint in ("pdf", "docx"):  # named a PDF or a .docx, but its bytes are neither
        raise UnreadableFile("corrupt")
    text = decode_text(data)
    if text is None:
        raise UnsupportedFileType("unsupported_type")
    if hint in ("html", "markdown", "text"):
        return hint
    return "html" if _looks_like_html(text) else "markdown" if _MD_HEADING.search(text) else "text"


def _zip_kind(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile("corrupt") from None
    if "word/document.xml" in names:
        return "docx"
    raise UnsupportedFileType("unsupported_type")  # .xlsx, .pptx, .odt, a plain .zip


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes, charset: str | None = None) -> str | None:
    """The text of `data` (BOM, then `charset`, UTF-8, Windows-1252), or None when it is binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        declared = charset or _meta_charset(data)
        candidates = [c for c in (declared, "utf-8", "cp1252", "latin-1") if c]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        controls = len(_CONTROL.findall(text[:100_000]))
        return None if controls > max(2, len(text[:100_000]) // 200) else _CONTROL.sub("", text)
    return None


_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.I)


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _looks_like_html(text: str) -> bool:
    start = text.lstrip()[:2000].lower()
    if start.startswith(("<!doctype html", "<html")):
        return True
    return bool(re.search(r"<(html|head|body)[\s>]", start))


# --- probe and extract ---------------------------------------------------------------------------

def probe(data: bytes, kind: Kind) -> None:
    """Refuse a file that cannot be read (UnreadableFile: corrupt, encrypted, empty, a scanned PDF
    with no text) without reading more of it than needed: a PDF stops at its first page with text."""
    if kind != "pdf":
        extract(data, kind)
        return
    reader = _pdf_reader(data)
    try:
        for page in reader.pages:
            if _page_text(page).strip():
                return
    except Exception:
        raise UnreadableFile("corrupt") from None
    raise UnreadableFile("no_text")


def extract(data: bytes, kind: Kind, charset: str | None = None) -> Extracted:
    """Every heading and passage of the file, in order."""
    try:
        if kind == "pdf":
            result = _pdf(data)
        elif kind == "docx":
            result = _docx(data)
        else:
            text = decode_text(data, charset)
            if text is None:
                raise UnsupportedFileType("unsupported_type")
            result = (html_to_blocks(text) if kind == "html" else
                      Extracted(kind, markdown_blocks(text)) if kind == "markdown" else
                      Extracted(kind, plain_blocks(text)))
    except (UnreadableFile, UnsupportedFileType, FileTooLarge):
        raise
    except RecursionError:
        raise UnreadableFile("corrupt") from None
    except Exception:  # a damaged file raises anything from deep inside the parsers
        raise UnreadableFile("corrupt") from None
    blocks = [b for b in result.blocks if b.text.strip()]
    if not blocks:
        raise UnreadableFile("no_text" if kind == "pdf" else "empty")
    if sum(len(b.text) for b in blocks) > MAX_TEXT_CHARS:
        raise FileTooLarge("too_much_text", limit=f"{MAX_TEXT_CHARS:,}")
    return Extracted(result.kind, blocks, result.title)


# --- PDF -----------------------------------------------------------------------------------------

def _pdf_reader(data: bytes) -> PdfReader:
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise UnreadableFile("encrypted")
        if len(reader.pages) == 0:
            raise UnreadableFile("empty")
    except UnreadableFile:
        raise
    except Exception as exc:
        # An encryption we cannot open even with an empty password is "encrypted", not "corrupt".
        reason = "encrypted" if "decrypt" in str(exc).lower() or "password" in str(exc).lower() else "corrupt"
        raise UnreadableFile(reason) from None
    return reader


def _page_text(page: PageObject) -> str:
    text = page.extract_text() or ""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)  # words hyphenated across lines
    return text.replace("\x00", "")


def _pdf(data: bytes) -> Extracted:
    reader = _pdf_reader(data)
    blocks = []
    for page in reader.pages:
        text = _page_text(page).strip()
        if text:
            blocks.append(Block(0, text))
    if not blocks:
        raise UnreadableFile("no_text")
    title = ""
    try:
        metadata = reader.metadata
        title = str(metadata.get("/Title") or "") if metadata else ""
    except Exception:
        pass
    return Extracted("pdf", blocks, title.strip())


# --- DOCX ----------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.I)


def _docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_DOCX_ENTRIES or sum(e.file_size for e in entries) > MAX_DOCX_UNZIPPED_BYTES:
            raise UnreadableFile("corrupt")
    document = docx.Document(io.BytesIO(data))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                if cells:
                    blocks.append(Block(0, " | ".join(cells)))
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        match = _HEADING_STYLE.match(style)
        level = 1 if style.lower() == "title" else int(match.group(1)) if match else 0
        blocks.append(Block(min(level, 6), text))
    return Extracted("docx", blocks, (document.core_properties.title or "").strip())


# --- Markdown and plain text ---------------------------------------------------------------------

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_MD_SETEXT = re.compile(r"^(=+|-+)[ \t]*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)(?=\S)(.+?)(?<=\S)\1")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def _md_inline(text: str) -> str:
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


def markdown_blocks(text: str) -> list[Block]:
    """ATX (`# Title`) and setext (underlined) headings; paragraphs; links and emphasis reduced to text."""
    text = _FRONT_MATTER.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            body = "\n".join(paragraph).strip()
            if body:
                blocks.append(Block(0, _md_inline(body)))
            paragraph.clear()

    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence:
            heading = _MD_HEADING.match(line)
            if heading:
                flush()
                blocks.append(Block(len(heading.group(1)), _md_inline(heading.group(2).strip())))
                continue
            if _MD_SETEXT.match(line) and len(paragraph) == 1 and paragraph[0].strip():
                title = paragraph.pop().strip()
                flush()
                blocks.append(Block(1 if line.startswith("=") else 2, _md_inline(title)))
                continue
            if not line.strip():
                flush()
                continue
        paragraph.append(line)
    flush()
    return blocks


def plain_blocks(text: str) -> list[Block]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [Block(0, p.strip()) for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


# --- HTML ---------------------------------------------------------------------------------------

_SKIPPED = {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas", "nav",
            "footer", "form", "button", "select", "textarea"}
_BLOCKS = {"p", "div", "section", "article", "main", "aside", "header", "ul", "ol", "dl", "dt", "dd", "table",
           "tr", "blockquote", "pre", "figure", "figcaption", "address", "details", "summary", "hr", "body",
           "html", "li"}
_LINE_BREAKS = {"br"}
_CELLS = {"td", "th"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HEADING_TAG = re.compile(r"h[1-6]")


class _HtmlText(HTMLParser):
    """Visible text in reading order: headings as their own blocks, each block element a passage.
    Never renders or fetches anything: scripts, styles, frames and hidden elements are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._buffer: list[str] = []
        self._skipping: list[str] = []  # open elements whose content is dropped
        self._heading = 0
        self._in_title = False

    def _flush(self) -> None:
        text = re.sub(r"[ \t\r\f\v\xa0]+", " ", "".join(self._buffer))
        self._buffer.clear()
        text = re.sub(r" *\n *", "\n", text).strip()
        if text:
            self.blocks.append(Block(self._heading, " ".join(text.split()) if self._heading else text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = any(name == "hidden" or (name == "aria-hidden" and value == "true") for name, value in attrs)
        if tag == "title" and not self._skipping:
            self._in_title = True
        elif self._skipping or tag in _SKIPPED or hidden:
            if tag not in _VOID:
                self._skipping.append(tag)
        elif _HEADING_TAG.fullmatch(tag):
            self._flush()
            self._heading = int(tag[1])
        elif tag in _BLOCKS:
            self._flush()
        elif tag in _LINE_BREAKS:
            self._buffer.append("\n")
        elif tag in _CELLS:
            self._buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif self._skipping:
            if tag in self._skipping:  # close up to the matching element (tolerates unclosed children)
                while self._skipping.pop() != tag:
                    pass
        elif _HEADING_TAG.fullmatch(tag) and self._heading:
            self._flush()
            self._heading = 0
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skipping:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_blocks(html: str) -> Extracted:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return Extracted("html", parser.blocks, " ".join(parser.title.split()))
