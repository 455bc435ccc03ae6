"""Reading a customer's email reply: which ticket it answers (the token of the reply address)
and what they wrote that is new. Pure.

The new text is the reply's text/plain part without what mail clients add below it: quoted
lines (`> ...`), the "On <date>, <someone> wrote:" line and everything after it (also Outlook's
"-----Original Message-----" and its "From: ... Sent: ..." block, and the German and French
forms of the attribution line), and a signature after a `-- ` line. It is cut at
MAX_REPLY_CHARS, the limit of an agent's chat message, with a note that it was cut.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

from mail.compose import REPLY_PREFIX

MAX_REPLY_CHARS = 4000
CUT_NOTE = "\n[...the rest of this email was cut]"
ATTRIBUTION_LINES = 3
"""An "On ... wrote:" line that a client wrapped may span this many lines."""
ATTRIBUTION_START = re.compile(r"^(?:On|Am|Le)\s.+", re.IGNORECASE)
ATTRIBUTION_END = re.compile(r"\b(?:wrote|schrieb|a\s+écrit)\b.*:\s*$", re.IGNORECASE)
SEPARATORS = re.compile(
    r"^\s*(?:-{2,}\s*Original Message\s*-{2,}|_{10,}|-{2,}\s*Forwarded message\s*-{2,})\s*$",
    re.IGNORECASE,
)
OUTLOOK_HEADER = re.compile(r"^\s*\*?From:\*?\s.+", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def reply_token(address: str, reply_domain: str) -> str | None:
    """The token of `reply+<token>@<reply_domain>` (any case in the domain, angle brackets
    allowed); None for any other address."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower() != reply_domain.lower():
        return None
    if not local.lower().startswith(REPLY_PREFIX) or len(local) <= len(REPLY_PREFIX):
        return None
    return local[len(REPLY_PREFIX) :]


def is_automatic(message: EmailMessage) -> bool:
    """An out-of-office answer, a bounce or a list mail rather than something a person wrote
    (RFC 3834's Auto-Submitted, and the older Precedence and X-Autoreply)."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or "X-Autoreply" in message
        or message.get_content_type() == "multipart/report"
    )


def plain_text(message: EmailMessage) -> str | None:
    """The text/plain body of the message (None when it has none), decoded to text."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else None


def new_text(text: str, limit: int = MAX_REPLY_CHARS) -> str:
    """What the customer wrote above the quoted mail and the signature, at most `limit`
    characters (then with CUT_NOTE)."""
    lines = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    kept: list[str] = []
    for number, line in enumerate(lines):
        if line.rstrip() == "--" or SEPARATORS.match(line) or _attribution(lines, number):
            break
        if OUTLOOK_HEADER.match(line) and _outlook_block(lines, number):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    reply = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    if len(reply) > limit:
        return reply[:limit].rstrip() + CUT_NOTE
    return reply


def reply_text(message: EmailMessage, limit: int = MAX_REPLY_CHARS) -> str:
    """The new text of a reply ('' when it has no text/plain part or nothing new)."""
    text = plain_text(message)
    return "" if text is None else new_text(text, limit)


def _attribution(lines: list[str], number: int) -> bool:
    """Line `number` starts an "On ... wrote:" line, perhaps wrapped over a few lines."""
    if not ATTRIBUTION_START.match(lines[number].strip()):
        return False
    following = lines[number : number + ATTRIBUTION_LINES]
    for end, line in enumerate(following):
        if ATTRIBUTION_END.search(line):
            return True
        if end and not line.strip():
            return False
    return False


def _outlook_block(lines: list[str], number: int) -> bool:
    """A "From:" line followed by Outlook's "Sent:"/"Date:" within the next lines."""
    window = " ".join(lines[number + 1 : number + 4]).lower()
    return "sent:" in window or "date:" in window
