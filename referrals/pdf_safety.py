"""Refusing PDFs that could act on the computer of whoever opens them.

Evidence is opened by case workers on police computers, so a PDF is read (with pypdf, never
rendered) and every object reachable from its trailer is looked at before it is stored: JavaScript
(document-level, in actions, in form fields), launch actions, attached files, multimedia (Flash)
and XFA forms are refused, wherever they sit (an ``/OpenAction``, a page's ``/AA`` additional
actions, an annotation). Links and ordinary "go to page" actions are fine. A PDF pypdf cannot read,
or one locked with a password, cannot be checked, so it is refused too, with a message that says
what to do instead.
"""

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# A letter or certificate has hundreds of objects; this many means something else.
MAX_OBJECTS = 200_000

JAVASCRIPT = "JavaScript"
LAUNCH = "an action that starts another program"
ATTACHMENT = "an attached file"
MULTIMEDIA = "embedded multimedia"
XFA = "an XFA form"

DAMAGED = (
    "The PDF could not be read: it may be damaged. Open it, save or print it as a new PDF, "
    "and upload that copy."
)
LOCKED = "The PDF is protected with a password. Upload a copy without the password."


class UnsafePdf(Exception):
    """Raised with a message for the person who uploaded the file."""


def _resolved(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _found_in(obj: DictionaryObject) -> set[str]:
    """What active content this one dictionary is, or holds directly."""
    raw = dict(obj)  # the keys as written, values unresolved
    found = set()
    action = _resolved(raw.get("/S"))
    subtype = _resolved(raw.get("/Subtype"))
    kind = _resolved(raw.get("/Type"))
    if "/JS" in raw or "/JavaScript" in raw or action == "/JavaScript":
        found.add(JAVASCRIPT)
    if action == "/Launch":
        found.add(LAUNCH)
    if "/EmbeddedFiles" in raw or "/EF" in raw or kind == "/EmbeddedFile" or subtype == "/FileAttachment":
        found.add(ATTACHMENT)
    if subtype in {"/RichMedia", "/Movie", "/Sound", "/Screen"} or "/RichMediaContent" in raw:
        found.add(MULTIMEDIA)
    if "/XFA" in raw:
        found.add(XFA)
    return found


def _walk(root):
    """Every dictionary reachable from ``root``, each indirect object once."""
    stack, seen, count = [root], set(), 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        count += 1
        if count > MAX_OBJECTS:
            raise UnsafePdf(DAMAGED)
        if isinstance(obj, DictionaryObject):  # streams too: their dictionaries
            yield obj
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))


def pdf_active_content(stream) -> list[str]:
    """The kinds of active content found in the PDF in ``stream``, in a fixed order; raises
    ``UnsafePdf`` when it cannot be read or checked."""
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsafePdf(LOCKED)
        if len(reader.pages) == 0:
            raise UnsafePdf(DAMAGED)
        found = set()
        for obj in _walk(reader.trailer):
            found |= _found_in(obj)
    except UnsafePdf:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a damaged or hostile file
        raise UnsafePdf(DAMAGED) from exc
    finally:
        stream.seek(0)
    return [kind for kind in (JAVASCRIPT, LAUNCH, ATTACHMENT, MULTIMEDIA, XFA) if kind in found]


def pdf_refusal(stream) -> str | None:
    """Why the PDF in ``stream`` is refused, as a message for the person, or None if it is safe."""
    try:
        found = pdf_active_content(stream)
    except UnsafePdf as exc:
        return str(exc)
    if not found:
        return None
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    return (
        f"The PDF contains {listed}, which could run on the computer of whoever opens it. "
        "Print it to a new PDF, or scan the paper copy, and upload that instead."
    )
