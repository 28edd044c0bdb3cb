"""Pages of long lists."""

from django.core.paginator import Paginator


class DeferredJoinPaginator(Paginator):
    """Reads a page in one query that first picks the page's ids (in the list's order, through the
    index that matches it, without the tables the rows are shown with) and only then joins those 25
    rows to their person, scheme, area and case worker. A late page of a long list then skips its
    thousands of earlier rows inside the index instead of joining each of them first.

    ``object_list`` is an ordered queryset; the rows come back in the same order."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        ids = queryset.values("pk")[bottom:top]
        return self._get_page(queryset.filter(pk__in=ids), number, self)
