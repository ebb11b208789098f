"""What a screen asks the read side for (its answers are the frozen objects of ``model`` and ``views``).

Frozen values only: the screens build them, the services (``services.reads``) check
who is asking, and the store turns them into queries. Nothing here reads anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CaseloadQuery:
    """One caseload view: which disputes, filtered and sorted how."""

    view: str = "mine"
    staff_id: int | None = None
    team_ids: tuple[int, ...] = ()  # for "team": children of these teams
    text: str = ""  # filter as you type
    now: datetime | None = None  # for "overdue"
    sort: str = "due"  # due | reference | child | stage
    viewer_id: int | None = None  # only disputes this person may see (store.visibility)
    # Keyset paging: read the page next to a row on show instead of counting rows from the top.
    # seek = "after" | "before" | "from" the dispute ``seek_id`` (in this order), or "last" (the
    # view's last rows, read backwards); "" = by offset. Not part of what the view holds.
    seek: str = ""
    seek_id: int | None = None
