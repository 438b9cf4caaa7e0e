"""Reading a raw RFC 822 message: pure functions, no database.

Headers and bodies are decoded by hand rather than with ``email.policy.default``
because Chinese mailers routinely label GBK text as ``gb2312`` (Python's gb2312
codec rejects the GBK-only characters) or send raw 8-bit header bytes; both are
read as GB18030, a superset of GB2312 and GBK."""
from __future__ import annotations

import email
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import nh3

CHARSET_ALIASES = {"unknown-8bit": "", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
                   "gb_2312-80": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030"}
AUTO_LOCAL_PARTS = {"mailer-daemon", "postmaster", "noreply-dmarc-support"}
TICKET_NUMBER = re.compile(r"\[(TK\d{7,})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BREAKS = re.compile(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</tr\s*>|</h[1-6]\s*>")


class Unreadable(ValueError):
    """The bytes are not a message we can read (kept and reported by the caller)."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    text: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    auto_reason: str = ""  # why this is an auto-reply or a bounce ("" for a person's message)
    date: object = None

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, nearest first (In-Reply-To, then References newest first)."""
        seen, out = set(), []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.add(mid)
                out.append(mid)
        return out

    @property
    def ticket_number(self) -> str:
        m = TICKET_NUMBER.search(self.subject)
        return m.group(1) if m else ""


def _codec(charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name) or "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name


def text_decode(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; undeclared or wrong 8-bit text is tried as UTF-8, then GB18030."""
    if charset and charset.lower() != "unknown-8bit":
        try:
            return data.decode(_codec(charset))
        except UnicodeDecodeError:
            pass
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode(_codec(charset), errors="replace")


def header_decode(value) -> str:
    """An RFC 2047 header (``=?GBK?B?...?=``), or raw 8-bit bytes, as text."""
    if value is None:
        return ""
    if isinstance(value, Header):  # compat32 wraps raw 8-bit header bytes as "unknown-8bit"
        return re.sub(r"\s+", " ", "".join(text_decode(p, c) if isinstance(p, bytes) else p
                                            for p, c in decode_header(value))).strip()
    value = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = text_decode(value.encode("ascii", "surrogateescape"), None)
    out = []
    for part, charset in decode_header(value):
        out.append(text_decode(part, charset) if isinstance(part, bytes) else part)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def html_to_text(markup: str) -> str:
    """Sanitised by nh3 (Ammonia) with no tag allowed, so only text survives; script
    and style contents are dropped, entities are turned back into characters."""
    cleaned = nh3.clean(_BREAKS.sub("\n", markup), tags=set(), attributes={})
    lines = [line.strip() for line in html.unescape(cleaned).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ids(value) -> list[str]:
    return MESSAGE_ID.findall(header_decode(value)) if value else []


def _auto_reason(msg: Message, from_address: str) -> str:
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (msg.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if msg.get(name):
            return name
    if msg.get_content_type() == "multipart/report":
        return "multipart/report"
    local = from_address.split("@", 1)[0].lower()
    if local in AUTO_LOCAL_PARTS:
        return f"sender {local}"
    if (msg.get("Return-Path") or "").strip() == "<>":
        return "empty Return-Path"
    return ""


def _filename(part: Message) -> str:
    name = part.get_filename()
    return header_decode(name) if name else ""


def _walk(msg: Message) -> tuple[str, str, list[Attachment]]:
    plain, markup, attachments = "", "", []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _filename(part)
        payload = part.get_payload(decode=True) or b""
        if disposition == "attachment" or (filename and ctype not in ("text/plain", "text/html")) \
                or ctype.startswith(("image/", "application/", "audio/", "video/")):
            attachments.append(Attachment(filename=filename or "attachment", content_type=ctype, content=payload))
        elif ctype == "text/plain" and not plain:
            plain = text_decode(payload, part.get_content_charset())
        elif ctype == "text/html" and not markup:
            markup = text_decode(payload, part.get_content_charset())
    text = plain.strip() if plain.strip() else (html_to_text(markup) if markup else "")
    return text.replace("\r\n", "\n"), markup, attachments


def raw_digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def parse(raw: bytes) -> ParsedEmail:
    """Raises :class:`Unreadable` for bytes that carry no sender we can read."""
    if not raw or not raw.strip():
        raise Unreadable("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        addresses = getaddresses([header_decode(v) for v in msg.get_all("From", [])])
        name, address = next(((n, a) for n, a in addresses if "@" in a), ("", ""))
        if not address:
            raise Unreadable("no sender address (From)")
        text, _markup, attachments = _walk(msg)
        try:
            date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
        except (TypeError, ValueError):
            date = None
        message_id = next(iter(_ids(msg.get("Message-ID"))), "")
        return ParsedEmail(message_id=message_id[:300], from_address=address.strip().lower(),
                           from_name=name.strip()[:200], subject=header_decode(msg.get("Subject"))[:300], text=text,
                           in_reply_to=_ids(msg.get("In-Reply-To")), references=_ids(msg.get("References")),
                           attachments=attachments, auto_reason=_auto_reason(msg, address), date=date)
    except Unreadable:
        raise
    except Exception as exc:  # the email package raises many kinds on broken input
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
