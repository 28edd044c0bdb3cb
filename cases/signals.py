"""Signals the cases app sends for other apps to follow, so that no app below reporting imports it.

``cases_changed`` is sent, inside the changing transaction, whenever something a summary may hold
about a case changed by a route that does not save the model one row at a time: a set-based
``update()`` or ``bulk_create()`` in a daily job, a bulk import, a merge. Send it with
``case_ids``: an iterable of case primary keys, or a queryset of them (``values("pk")`` or
``values_list("pk", flat=True)``), which a receiver may use as a subquery without reading it.

Row-by-row saves through the models need not send it: receivers follow the models' own signals.
"""

from django.dispatch import Signal

cases_changed = Signal()  # sender: the module or function that changed them; case_ids=...


def cases_changed_send(sender, case_ids) -> None:
    """Tell the followers (the reporting summaries) that these cases changed."""
    cases_changed.send(sender=sender, case_ids=case_ids)
