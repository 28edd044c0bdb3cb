"""Case timeline event codes, declared once."""

from django.db import models


class EventCode(models.TextChoices):
    CASE_OPENED = "case_opened", "Case opened"
    CASE_UPDATED = "case_updated", "Case details changed"
    SUBMITTED_FOR_DECISION = "submitted_for_decision", "Sent for an eligibility decision"
    RETURNED_TO_INTAKE = "returned_to_intake", "Returned to the case worker"
    DECISION_RECORDED = "decision_recorded", "Eligibility decision"
    STATUS_CHANGED = "status_changed", "Status changed"
    REASSIGNED = "reassigned", "Case reassigned"
    WITHDRAWN = "withdrawn", "Case withdrawn"
