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


class WindowPage:
    """One page of a list read without counting the whole list: ``size`` rows from ``number``'s place
    and one more, to know whether an older page follows. For lists whose length the page does not
    show, such as a case's timeline (its latest events first, older ones a page at a time)."""

    def __init__(self, queryset, *, number, size):
        try:
            self.number = max(1, int(number))
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.object_list = rows[:size]
        self.has_next = len(rows) > size
        self.has_previous = self.number > 1
        self.start_index = start + 1
        self.end_index = start + len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1
