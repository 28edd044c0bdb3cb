"""Pages of long lists."""

from django.core.paginator import Paginator
from django.db.models import Value


class DeferredJoinPaginator(Paginator):
    """Reads a page in one query that first picks the page's ids (in the list's order, through the
    index that matches it, without the tables the rows are shown with) and only then joins those 25
    rows to their person, scheme, area and case worker. A late page of a long list then skips its
    thousands of earlier rows inside the index instead of joining each of them first; a page past the
    middle is counted from the end, reading the index backwards, so that no page skips more than half.

    ``object_list`` is a queryset in a total order (its last sort key unique, such as the id), so that
    the order read backwards is exactly the reverse; the rows come back in the list's own order."""

    def __init__(self, *args, groups=None, **kwargs):
        """``groups``: for a list sorted by a name kept on a small related table (the case worker's, the
        scheme's, the area's), ``(column, groups)``: the column (``"owner_id"``) and, for each name in
        order, the ids bearing it. See ``_grouped_ids``."""
        super().__init__(*args, **kwargs)
        self.groups = groups

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        backwards = bottom > self.count // 2
        if backwards:
            bottom, top = self.count - top, self.count - bottom
        if self.groups:
            ids = self._grouped_ids(queryset, bottom, top, backwards=backwards)
        else:
            ids = (queryset.reverse() if backwards else queryset).values("pk")[bottom:top]
        return self._get_page(queryset.filter(pk__in=ids), number, self)

    def _grouped_ids(self, queryset, bottom, top, *, backwards) -> list:
        """The ids of rows ``bottom`` to ``top`` of a list sorted by a related name and then the id: one
        query, the UNION ALL of each name's rows in id order, at most ``top`` of each (an index range
        per name: cases.models, ``case_force_<relation>_id_idx``), so that a page reads a few rows of
        each name instead of joining and sorting every case of the force. PostgreSQL only (SQLite
        cannot limit the parts of a UNION): the view asks for it there alone."""
        column, groups = self.groups
        descending = queryset.query.order_by[-1].startswith("-")
        if descending != backwards:
            groups = list(reversed(groups))
        by_id = "-id" if descending != backwards else "id"
        parts = [
            queryset.filter(**({column: ids[0]} if len(ids) == 1 else {f"{column}__in": ids}))
            .annotate(sort_rank=Value(rank))
            .order_by(by_id)
            .values("id", "sort_rank")[:top]
            for rank, ids in enumerate(groups)
        ]
        if not parts:
            return []
        rows = parts[0].union(*parts[1:], all=True).order_by("sort_rank", by_id)[bottom:top]
        return [row["id"] for row in rows]


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
