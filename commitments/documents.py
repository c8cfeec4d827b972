"""Reading uploaded documents: plain text in the encodings Chinese offices use."""

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def decode_document(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312). ValueError says what is wrong."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"the file is {len(raw) // (1024 * 1024)} MB; at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB of text is read")
    if b"\0" in raw[:8192]:
        raise ValueError("the file is not plain text (save it as .txt first)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is neither UTF-8 nor GBK text")
