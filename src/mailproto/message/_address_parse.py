"""Address lists (RFC 5322 section 3.4, with the obsolete syntax of section 4.4).

The parser is lenient in the ways real mail needs: display names with unquoted dots or
RFC 2047 encoded words (also inside quoted strings), comments anywhere, obsolete source routes
(``<@a,@b:user@c>``), empty list members, missing angle brackets or group terminators, UTF-8 local
parts and domains (RFC 6532), and bare local parts without a domain. It never raises; what it had
to skip or guess is reported as a problem.

White space is ASCII only (space, tab, CR, LF, as RFC 5322 defines it): in the ``raw`` mode the
text holds header bytes as latin-1 code points, where the 0x85 and 0xA0 bytes of UTF-8 text
(``"à"`` is C3 A0) would otherwise read as Unicode white space.

Domains are kept as written: an internationalised domain in UTF-8 (RFC 6532) is returned as its
Unicode text, and one in IDNA A-labels (``xn--...``) as those labels; neither is a defect, and
neither is converted to the other form (``Address("", "a", "xn--bcher-kva.example")`` and
``Address("", "a", "bücher.example")`` are different values naming the same domain).
"""

from __future__ import annotations

import re

from ._address import Address, Group
from ._encoded_words import decode_encoded_words_ex, decode_header_bytes

__all__ = ["parse_address_list", "parse_address_list_ex", "parse_phrase_list", "flatten"]

_TOK = re.compile(
    r"""
    (?P<ew>=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)
   |(?P<qs>"(?:[^"\\]|\\.)*"?)
   |(?P<dl>\[(?:[^\[\]\\]|\\.)*\]?)
   |(?P<ws>\s+)
   |(?P<sp>[<>,;:@])
   |(?P<cm>\()
   |(?P<atom>(?:[^\s()<>\[\]:;@,"\\]|\\.)+|\\|[\[\])])
    """,
    re.X | re.S | re.A,
)
_PARENS = re.compile(r"\\.|[()]", re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
_SIMPLE = re.compile(r"\s*([^\s\"<>,;:@()\\\[\]]+)@([^\s\"<>,;:@()\\\[\]]+)\s*\Z", re.A)
_SIMPLE_NAMED = re.compile(
    r"\s*(?:\"([^\"\\]*)\"|([^\"<>,;:@()\\\[\]=]*?))\s*"
    r"<([^\s\"<>,;:@()\\\[\]]+)@([^\s\"<>,;:@()\\\[\]]+)>\s*\Z",
    re.A,
)
_WSP_RUN = re.compile(r"[ \t\r\n]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BREAK = re.compile(r"\r\n|[\r\n]")

# Text the comma-splitting fast path cannot handle.
_HARD = re.compile(r'["():;\\\[]')

# Token kinds.
_QS, _DL, _WS, _SP, _CM, _ATOM = "qs", "dl", "ws", "sp", "cm", "atom"


def _tokenize(text: str) -> list[tuple[str, str]]:
    toks: list[tuple[str, str]] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOK.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any character
            toks.append((_ATOM, text[pos]))
            pos += 1
            continue
        kind = m.lastgroup or _ATOM
        if kind == "ew":
            kind = _ATOM
        if kind == _CM:
            depth = 0
            end = n
            for p in _PARENS.finditer(text, pos):
                c = p.group()
                if len(c) == 2:
                    continue
                depth += 1 if c == "(" else -1
                if depth == 0:
                    end = p.end()
                    break
            toks.append((_CM, text[pos:end]))
            pos = end
            continue
        toks.append((kind, m.group()))
        pos = m.end()
    return toks


def _qs_value(tok: str) -> str:
    inner = tok[1:-1] if len(tok) > 1 and tok.endswith('"') else tok[1:]
    return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner


def _phrase(toks: list[tuple[str, str]], raw: bool) -> str:
    """A display name from phrase tokens: words joined by one space where white space or a
    comment separated them, comments dropped, encoded words decoded."""
    out: list[str] = []
    space = False
    for kind, text in toks:
        if kind in (_WS, _CM):
            space = True
            continue
        if kind == _QS:
            word = _qs_value(text)
        elif kind in (_ATOM, _DL):
            word = _QUOTED_PAIR.sub(r"\1", text) if "\\" in text else text
        elif text not in "<>":
            word = text
        else:
            continue
        if space and out:
            out.append(" ")
        out.append(word)
        space = False
    name = "".join(out)
    if raw or "=?" in name:
        name = decode_encoded_words_ex(name, raw=raw, structured=True)[0]
    return name


def _unfold(text: str) -> str:
    """Folded header text unfolded (RFC 5322 3.2.2); a line break without the white space of a
    fold reads as one space."""
    text = _FOLD.sub("", text)
    return _BREAK.sub(" ", text) if "\n" in text or "\r" in text else text


def _text(value: str, raw: bool) -> str:
    if raw and not value.isascii():
        return decode_header_bytes(value.encode("latin-1"))[0]
    return value


def _addr_spec(
    toks: list[tuple[str, str]], problems: list[str], raw: bool
) -> tuple[str, str] | None:
    """(local part, domain) from the tokens of an addr-spec, or None if there is nothing."""
    words = [(k, t) for k, t in toks if k not in (_WS, _CM)]
    if not words:
        return None
    at = -1
    for i in range(len(words) - 1, -1, -1):
        if words[i] == (_SP, "@"):
            at = i
            break
    local_toks = words[:at] if at >= 0 else words
    domain_toks = words[at + 1 :] if at >= 0 else []
    local = "".join(_qs_value(t) if k == _QS else t for k, t in local_toks)
    domain = "".join(t for _, t in domain_toks)
    if at < 0:
        problems.append(f"address without a domain: {local!r}")
    elif not domain:
        problems.append(f"address with an empty domain: {local!r}")
    if any(k == _SP for k, _ in local_toks + domain_toks):
        problems.append("special characters inside an address")
    return _text(local, raw), _text(domain, raw)


def _mailboxes(toks: list[tuple[str, str]], problems: list[str], raw: bool) -> list[Address]:
    """The mailbox of one list member (no top-level commas); a member made of several bare
    addresses separated by white space (a missing comma) gives each of them."""
    lt = next((i for i, (k, t) in enumerate(toks) if k == _SP and t == "<"), -1)
    if lt >= 0:
        gt = next(
            (i for i in range(lt + 1, len(toks)) if toks[i] == (_SP, ">")),
            len(toks),
        )
        if gt == len(toks):
            problems.append("angle address without '>'")
        inner = toks[lt + 1 : gt]
        # Obsolete route: "@a,@b:" before the addr-spec.
        colon = next((i for i, (k, t) in enumerate(inner) if k == _SP and t == ":"), -1)
        if colon >= 0 and next((t for k, t in inner if k not in (_WS, _CM)), "") == "@":
            inner = inner[colon + 1 :]
        display = _phrase(toks[:lt], raw)
        if any(t == (_SP, "@") for t in toks[:lt]):
            problems.append("'@' in a display name")
        if gt + 1 < len(toks) and any(k not in (_WS, _CM) for k, _ in toks[gt + 1 :]):
            problems.append("text after an angle address")
        spec = _addr_spec(inner, problems, raw)
        if spec is None:
            if not display:
                return []
            problems.append("empty angle address")
            return [Address(display, "", "")]
        return [Address(display, spec[0], spec[1])]
    ats = sum(1 for t in toks if t == (_SP, "@"))
    if ats > 1:
        # "a@b c@d": split at white space between complete addresses.
        pieces: list[list[tuple[str, str]]] = [[]]
        for tok in toks:
            if tok[0] in (_WS, _CM) and any(t == (_SP, "@") for t in pieces[-1]):
                pieces.append([])
            elif tok[0] not in (_WS, _CM):
                pieces[-1].append(tok)
        if len(pieces) > 1 and all(any(t == (_SP, "@") for t in p) for p in pieces if p):
            problems.append("addresses not separated by commas")
            out: list[Address] = []
            for p in pieces:
                spec = _addr_spec(p, problems, raw)
                if spec is not None:
                    out.append(Address("", spec[0], spec[1]))
            return out
    # "Big Bug bb@bug.com": words before a bare address are a display name without brackets.
    at = next((i for i, t in enumerate(toks) if t == (_SP, "@")), -1)
    if ats == 1 and at > 0:
        before = [t for t in toks[:at] if t[0] != _CM]
        while before and before[-1][0] == _WS:
            before.pop()
        # White space before the first word (after the list's comma) separates nothing.
        while before and before[0][0] == _WS:
            del before[0]
        ws = [i for i, t in enumerate(before) if t[0] == _WS]
        if ws and all(t[0] in (_ATOM, _QS, _WS) and t[1] != "." for t in before):
            last = ws[-1]
            if not before[last - 1][1].endswith(".") and not before[last + 1][1].startswith("."):
                problems.append("display name without angle brackets")
                spec = _addr_spec(before[last + 1 :] + toks[at:], problems, raw)
                if spec is not None:
                    return [Address(_phrase(before[:last], raw), spec[0], spec[1])]
    # A bare addr-spec; a phrase without '@' is taken as a local part (with a problem).
    spec = _addr_spec(toks, problems, raw)
    if spec is None:
        return []
    return [Address("", spec[0], spec[1])]


def _simple_one(text: str, raw: bool) -> Address | None:
    m = _SIMPLE.match(text)
    if m is not None:
        return Address("", _text(m.group(1), raw), _text(m.group(2), raw))
    m = _SIMPLE_NAMED.match(text)
    if m is not None:
        quoted, plain = m.group(1), m.group(2)
        name = quoted if quoted is not None else _WSP_RUN.sub(" ", plain).strip(" ")
        if raw or "=?" in name:
            name = decode_encoded_words_ex(name, raw=raw, structured=True)[0]
        return Address(name, _text(m.group(3), raw), _text(m.group(4), raw))
    return None


def _simple_list(text: str, raw: bool) -> list[Address | Group] | None:
    """A list without quotes, comments or groups: split on commas, each member simple."""
    out: list[Address | Group] = []
    for piece in text.split(","):
        if not piece.strip(" \t\r\n"):
            continue
        box = _simple_one(piece, raw)
        if box is None:
            return None
        out.append(box)
    return out


def parse_address_list_ex(text: str, raw: bool = False) -> tuple[list[Address | Group], list[str]]:
    """Like :func:`parse_address_list`, also returning the problems found.

    With ``raw``, ``text`` holds header bytes as latin-1 code points (so 8-bit bytes inside
    encoded words are read in the word's charset, and others as UTF-8, else windows-1252).
    """
    problems: list[str] = []
    if not raw and ("\n" in text or "\r" in text):
        text = _unfold(text)
    one = _simple_one(text, raw)
    if one is not None:
        return [one], problems
    if "," in text and not _HARD.search(text):
        fast = _simple_list(text, raw)
        if fast is not None:
            return fast, problems
    toks = _tokenize(text)
    result: list[Address | Group] = []
    group_name: str | None = None
    members: list[Address] = []
    item: list[tuple[str, str]] = []
    in_angle = False

    def end_item() -> None:
        if item:
            boxes = _mailboxes(item, problems, raw)
            if group_name is not None:
                members.extend(boxes)
            else:
                result.extend(boxes)
            item.clear()

    for tok in toks:
        kind, t = tok
        if kind == _SP:
            if t == "<":
                in_angle = True
            elif t == ">":
                in_angle = False
            elif not in_angle:
                if t == ",":
                    end_item()
                    continue
                if t == ":" and group_name is None:
                    if any(k == _SP and x == "@" for k, x in item):
                        problems.append("':' inside an address")
                        item.append(tok)
                        continue
                    group_name = _phrase(item, raw)
                    item.clear()
                    continue
                if t == ";":
                    end_item()
                    if group_name is not None:
                        result.append(Group(group_name, tuple(members)))
                        group_name = None
                        members = []
                    else:
                        problems.append("';' outside a group")
                    continue
            elif t == "," and in_angle:
                # A comma inside <...> is part of an obsolete route.
                pass
        item.append(tok)
    end_item()
    if group_name is not None:
        problems.append("group without a terminating ';'")
        result.append(Group(group_name, tuple(members)))
    return result, problems


def parse_address_list(text: str) -> list[Address | Group]:
    """Parse an address list (the value of From, To, Cc, Reply-To, ...); never raises.

    Groups are kept as :class:`Group`; encoded words in display names are decoded.

    >>> parse_address_list('"Joe Q. Public" <john.q.public@example.com>')
    [Address(display_name='Joe Q. Public', local_part='john.q.public', domain='example.com')]
    """
    return parse_address_list_ex(text)[0]


def parse_phrase_list(text: str, raw: bool = False) -> list[str]:
    """The phrases of a comma-separated list of phrases (the value of Keywords, RFC 5322 3.6.5),
    decoded; never raises.

    Commas inside quoted strings and comments do not separate; quoted strings are unquoted,
    comments dropped, runs of white space read as one space and encoded words decoded. Empty
    members are skipped. ``raw`` is as in :func:`parse_address_list_ex`.

    >>> parse_phrase_list('"a, b", c (comment, with a comma), =?utf-8?q?Gr=C3=B6=C3=9Fe?=')
    ['a, b', 'c', 'Größe']
    """
    if not raw and ("\n" in text or "\r" in text):
        text = _unfold(text)
    out: list[str] = []
    item: list[tuple[str, str]] = []
    for tok in _tokenize(text):
        if tok == (_SP, ","):
            phrase = _phrase(item, raw).strip(" ")
            if phrase:
                out.append(phrase)
            item.clear()
        else:
            item.append(tok)
    phrase = _phrase(item, raw).strip(" ")
    if phrase:
        out.append(phrase)
    return out


def flatten(items: list[Address | Group]) -> list[Address]:
    """The mailboxes of an address list with groups replaced by their members."""
    out: list[Address] = []
    for it in items:
        if isinstance(it, Group):
            out.extend(it.members)
        else:
            out.append(it)
    return out
