"""Set-based changes to cases mark their summaries stale (reporting/summaries.py).

The database triggers (reporting/triggers.py) already mark every case whose rows change, whatever
the route; this receiver also honours ``cases_changed`` (cases/signals.py), which set-based code
sends, so that a change made where the triggers do not fire (a bulk load with the triggers set
aside, a table the summaries may read in future) is still summarised again.
"""

from django.dispatch import receiver

from cases.signals import cases_changed

from .summaries import mark_stale


@receiver(cases_changed, dispatch_uid="reporting_cases_changed")
def cases_changed_mark_stale(sender, case_ids, **kwargs):
    mark_stale(case_ids)
