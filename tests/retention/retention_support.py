"""Plain helpers the retention tests import (fixtures live in this folder's conftest.py)."""

from retention.services import legal_hold_set, retention_review_retain


def make_person_held(supervisor, *, person=None, case=None, reason="A civil claim is expected."):
    """A legal hold on the person's record or on the case, set by the supervisor."""
    if person is not None:
        return legal_hold_set(actor=supervisor, person_id=person.pk, reason=reason)
    return legal_hold_set(actor=supervisor, case_id=case.pk, reason=reason)


def make_retained(supervisor, review, *, until, reason="Linked to an investigation still open."):
    return retention_review_retain(review_id=review.pk, actor=supervisor, retain_until=until, reason=reason)
