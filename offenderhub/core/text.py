"""Plain-text helpers for labels and summaries built in Python."""


def shortened(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at the last whole word that fits, with
    an ellipsis, never in the middle of a word (issue 16). Text that fits is returned whole."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–") + "…"
