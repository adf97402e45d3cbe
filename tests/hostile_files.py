"""Hostile files of the kinds seen in the wild, built small on disk for tests and benchmarks.

- `docx_zip_bomb`: a 3.6 MB DOCX whose document.xml inflates to 1 GB (drove the bot
  past 6 GB of memory in 35 s before parsing had limits);
- `pdf_stream_bomb`: a ~60 KB PDF whose page content, compressed twice, decodes to
  tens of MB of text operators (kept pypdf at 100% CPU for 25+ minutes);
- `docx_chunk_flood`: a ~180 KB DOCX of 480,000 one-line items (480,000 chunks).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import docx

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_with_body(path: Path, write_body) -> Path:  # type: ignore[no-untyped-def]
    """A real DOCX (python-docx's template) whose document.xml body is written by `write_body`."""
    template = io.BytesIO()
    docx.Document().save(template)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item, source.read(item.filename))
        with target.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      f'<w:document xmlns:w="{W_NS}"><w:body>'.encode())
            write_body(xml)
            xml.write(b"</w:body></w:document>")
    return path


def docx_zip_bomb(path: Path, inflated_bytes: int = 1 << 30) -> Path:
    paragraph = "<w:p><w:r><w:t>一、重复的条款内容用于测试。</w:t></w:r></w:p>".encode()
    block = paragraph * 20_000

    def body(xml) -> None:  # type: ignore[no-untyped-def]
        for _ in range(inflated_bytes // len(block)):
            xml.write(block)

    return _docx_with_body(path, body)


def docx_chunk_flood(path: Path, items: int = 480_000) -> Path:
    """Every paragraph a numbered heading with one sentence: one chunk each."""
    paragraph = "<w:p><w:r><w:t>一、条款。</w:t></w:r></w:p>".encode()

    def body(xml) -> None:  # type: ignore[no-untyped-def]
        for _ in range(items):
            xml.write(paragraph)

    return _docx_with_body(path, body)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF with a correct xref table from numbered object bodies (1-based)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_with_content(path: Path, content: bytes, filters: int = 1) -> Path:
    """One page whose content stream is `content`, FlateDecode applied `filters` times."""
    data = content
    for _ in range(filters):
        data = zlib.compress(data, 9)
    names = " ".join(["/FlateDecode"] * filters)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(data)} /Filter [{names}] >>\nstream\n".encode() + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(_pdf(objects))
    return path


def pdf_shared_stream_bomb(path: Path, pages: int = 400, decoded_bytes: int = 1_500_000) -> Path:
    """Many pages drawing one compressed stream, each page under a per-page size check.

    pypdf parses each page's operators anew: at 10 s or more per page, this small file
    would keep a parser busy for an hour.
    """
    data = zlib.compress(zlib.compress(text_operators(decoded_bytes), 9), 9)
    first_page = 3
    kids = " ".join(f"{first_page + n} 0 R" for n in range(pages))
    stream = first_page + pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {stream} 0 R"
                f" /Resources << /Font << /F1 {stream + 1} 0 R >> >> >>".encode()] * pages
    objects.append(f"<< /Length {len(data)} /Filter [/FlateDecode /FlateDecode] >>\nstream\n".encode()
                   + data + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    path.write_bytes(_pdf(objects))
    return path


def text_operators(size: int) -> bytes:
    line = b"BT /F1 12 Tf 72 700 Td (Policy text) Tj ET\n"
    return line * (size // len(line))


def pdf_stream_bomb(path: Path, decoded_bytes: int = 60_000_000) -> Path:
    return pdf_with_content(path, text_operators(decoded_bytes), filters=2)
