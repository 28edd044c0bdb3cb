"""Every write to conditions, the caution, variations, breach reviews and the prosecution, one module
per subject; this package names the public services, so ``from conditions.services import ...`` and
``conditions.services.<name>`` keep working wherever they are used.

Each service opens a transaction, locks the case row first (then the row it changes), checks the
declared status tables and the actor's role, writes the timeline event and the audit row, and is a
no-op when asked for the state the record is already in, so double submits and retried jobs are harmless.

The modules import one another in one direction only: ``_shared`` (status sets, checks, locks, a
condition's transition) under every other; ``breach`` uses ``variations`` and ``prosecution``;
``compliance`` uses ``breach`` (a failed condition opens a review).
"""

from ._shared import BEFORE_CAUTION, EXTENDABLE, TERMS, UNDER_CAUTION
from .breach import breach_review_countersign, breach_review_decide, breach_review_open
from .caution import STATUTORY_REQUIREMENTS, caution_administer
from .compliance import PROGRESS_CODES, condition_progress, condition_record_add
from .conditions import (
    condition_add,
    condition_remove,
    condition_update,
    conditions_agree,
    conditions_reopen,
    period_extend,
)
from .prosecution import FINAL_PROSECUTION_OUTCOMES, case_resume_prosecution, prosecution_update
from .variations import variation_decide, variation_propose

__all__ = [
    "BEFORE_CAUTION",
    "EXTENDABLE",
    "FINAL_PROSECUTION_OUTCOMES",
    "PROGRESS_CODES",
    "STATUTORY_REQUIREMENTS",
    "TERMS",
    "UNDER_CAUTION",
    "breach_review_countersign",
    "breach_review_decide",
    "breach_review_open",
    "case_resume_prosecution",
    "caution_administer",
    "condition_add",
    "condition_progress",
    "condition_record_add",
    "condition_remove",
    "condition_update",
    "conditions_agree",
    "conditions_reopen",
    "period_extend",
    "prosecution_update",
    "variation_decide",
    "variation_propose",
]
