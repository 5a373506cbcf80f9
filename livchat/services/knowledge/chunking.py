"""Passages to index: a file's text cut into chunks of about `size` characters, neighbours sharing
about `overlap` characters, each carrying the path of headings it sits under.

A chunk never spans two sections (a heading starts a new chunk, so each chunk's heading is true
of all of it). Inside a section, cuts fall on the best boundary in the second half of the window:
a paragraph break, then the end of a sentence, a line break, a clause, a space; a word is cut
only when it is longer than the window. The overlap starts at a sentence (or at least a word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from livchat.services.knowledge.extract import Block

HEADING_SEPARATOR = " > "
MAX_HEADING_CHARS = 300
# Cut points, best first: (pattern, whether the cut falls after the match or before it).
_BOUNDARIES = [
    (re.compile(r"\n\s*\n"), False),
    (re.compile(r"[.!?…。][\"')\]]*(?=\s)"), True),
    (re.compile(r"\n"), False),
    (re.compile(r"[;:,](?=\s)"), True),
    (re.compile(r"\s"), False),
]
_SENTENCE_START = re.compile(r"(?:[.!?…。][\"')\]]*|\n)\s+(?=\S)")
_WORD_START = re.compile(r"\s+(?=\S)")


@dataclass(frozen=True)
class Chunk:
    index: int
    heading: str  # "Returns > Refunds", or "" before the first heading
    text: str

    @property
    def for_embedding(self) -> str:
        """What gets embedded and indexed: the headings say what the passage is about."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def chunk_blocks(blocks: list[Block], size: int = 1000, overlap: int = 150) -> list[Chunk]:
    overlap = max(0, min(overlap, size // 2))
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []  # (level, heading) of the open sections
    body: list[str] = []

    def close_section() -> None:
        if body:
            heading = HEADING_SEPARATOR.join(text for _, text in path)[:MAX_HEADING_CHARS]
            for piece in split_text("\n\n".join(body), size, overlap):
                chunks.append(Chunk(len(chunks), heading, piece))
            body.clear()

    for block in blocks:
        if block.level:
            close_section()
            while path and path[-1][0] >= block.level:
                path.pop()
            path.append((block.level, " ".join(block.text.split())))
        else:
            body.append(block.text.strip())
    close_section()
    return chunks


def split_text(text: str, size: int, overlap: int) -> list[str]:
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = len(text) if start + size >= len(text) else _cut(text, start + size // 2, start + size)
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        if end >= len(text):
            break
        start = max(_overlap_start(text, max(end - overlap, start + 1), end), start + 1)
    return pieces


def _cut(text: str, low: int, high: int) -> int:
    """The best cut in text[low:high], as an index; `high` when the window has no boundary."""
    window = text[low:high]
    for pattern, after in _BOUNDARIES:
        matches = list(pattern.finditer(window))
        if matches:
            last = matches[-1]
            return low + (last.end() if after else last.start())
    return high


def _overlap_start(text: str, low: int, end: int) -> int:
    """Where the next chunk starts: the first sentence start in text[low:end], else the first word
    start, else `end` (no overlap rather than half a word)."""
    if overlap_window := text[low:end]:
        for pattern in (_SENTENCE_START, _WORD_START):
            match = pattern.search(overlap_window)
            if match:
                return low + match.end()
        if low > 0 and text[low - 1].isspace():  # the window itself starts a word
            return low
    return end
