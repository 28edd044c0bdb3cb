"""Plain helpers the subject access tests import (fixtures live in this folder's conftest.py)."""

import io

from reportlab.pdfgen import canvas

# What the subject's records say, each written once so a test can look for it (or its absence).
NOTE = "Rearranged sessions to mornings; afternoons clash with his job search."
SESSION_SUMMARY = "Talked through the weekend drinking pattern and set a goal."
ALIAS = ("Danny", "Whitmoore")
NEW_PHONE = "07700 900123"
CONDITION_NOTE = "Compass confirmed attendance at the first group session."
BREACH_ACCOUNT = "Said he had a hospital appointment that morning."
SCRUTINY_OBSERVATIONS = "Proportionate; the conditions matched the needs found."


def pdf_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    document.drawString(72, 720, text)
    document.showPage()
    document.save()
    return buffer.getvalue()


def date_fields(name, day) -> dict:
    """A GOV.UK date input's fields (day, month, year)."""
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}
