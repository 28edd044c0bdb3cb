"""Lock-out after repeated failed sign-ins, counted two ways (django-axes' ``AXES_HANDLER``).

- Against the account: ``AXES_FAILURE_LIMIT`` failures within the cool-off lock it, whatever
  addresses they came from, so guessing from many addresses gains nothing; the locked account cannot
  sign in from anywhere, even with its password, until the cool-off passes or an administrator
  unlocks it.
- From one address: ``AXES_ADDRESS_FAILURE_LIMIT`` failures within the cool-off, whatever accounts
  they tried, lock the address, so one machine cannot try a few passwords on every account. The
  limit is higher because a police station's staff may share one address.

axes compares one number with one limit, so the handler reports the account's failures, or the
account limit itself once the address has reached its own. An account that does not exist is
counted and locked like one that does: the responses never tell them apart. A successful sign-in
clears the account's failures only, never the address's: otherwise anyone with an account of their
own could clear the failures they made against others from the same address.
"""

import operator
from functools import reduce

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum


def failure_counts(request, credentials=None) -> tuple[int, int]:
    """Failed sign-ins within the cool-off: (against this account, from this address), counted in
    one query, as every sign-in asks."""
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None)
    counted = {}
    if username:
        counted["by_account"] = Q(username=username)
    if address:
        counted["by_address"] = Q(ip_address=address)
    if not counted:
        return 0, 0
    totals = AccessAttempt.objects.filter(
        reduce(operator.or_, counted.values()), attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(**{name: Sum("failures_since_start", filter=q) for name, q in counted.items()})
    return totals.get("by_account") or 0, totals.get("by_address") or 0


class AccountAndAddressLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = failure_counts(request, credentials)
        if by_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        return by_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
