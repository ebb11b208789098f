"""Read queries for "my work" (the home screen): which disputes may need this person now.

The SQL here only narrows (by indexed columns) the disputes worth judging: it decides
nothing. Whether a move is open, and what is due when, is judged afterwards by
``domain.moves`` and ``domain.deadlines`` in ``services.work``. A dispute the query
lets through that needs nothing is simply dropped there; the query must never drop
one that might need the person (so its windows are generous).

``each_view`` loads many disputes in a fixed number of queries (not a few per dispute), so
a chair with hundreds of open disputes gets their work list as fast as one with ten, and
makes each view only when it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, cast

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import each_dispute_view
from drp_tui.store.visibility import viewer, visible_to

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView

MOST = 200  # disputes judged for one person's work list at most (the most urgent first; a caseload is far smaller)


def candidates(staff_id: int, horizon: datetime, horizon_day: date, *, approver: bool) -> list[int]:
    """Ids of the disputes that may need ``staff_id`` before ``horizon`` (most urgent first):

    * raised by them: drafts, responses received, negotiating, or a clock running out
      before ``horizon``; a monitoring meeting not yet held;
    * sent to them (alone, or among a stage's joint responders) and not yet answered (awaiting
      their response or further actions);
    * told a stage awaits them: to send it, or their decision on its response (the procedure
      names someone besides the chair);
    * an open SMART action due by ``horizon_day`` on a dispute they raised or answered;
    * with ``approver`` (oversight, or someone holding a management level): drafts they may
      see whose stage has not been agreed or sent (the moves say which await *their* agreement).
    Only disputes they may see (``store.visibility``)."""
    who = viewer(staff_id)
    if who is None:
        return []
    D, SR, A, MM = m.Dispute, m.StageRecord, m.Action, m.MonitoringMeeting
    SRR, N = m.StageResponse, m.Notification
    open_statuses = [s.value for s in Status if s.is_open]
    # each part on its own (each can use an index), then put together: an OR of them all cannot.
    # Each part gives only the dispute's id, and the parts are simply appended (UNION ALL): the
    # IN below reads them into the one set of ids SQLite builds for it, which drops repeats. (A
    # chair's raised open disputes are thousands at 100,000; a UNION's own set of (id, deadline)
    # and its copy for the join took SQLite 0.71 MB while the query ran, now 0.52 MB.) The most
    # urgent are then chosen by each candidate's own next deadline, read by its id.
    mine = D.select(D.id).where((D.raised_by == staff_id) & (
        D.status.in_([Status.DRAFT.value, Status.RESPONDED.value, Status.NEGOTIATING.value])
        | (D.status.in_(open_statuses) & (D.next_due_at <= horizon))))
    meetings = (MM.select(MM.dispute).join(D, on=(MM.dispute == D.id))
                .where(MM.held_on.is_null() & (D.raised_by == staff_id)))
    sent_to_me = D.select(D.id).where((D.responder == staff_id) & (D.status == Status.SENT.value))
    answering = (SR.select(SR.dispute).join(D, on=(SR.dispute == D.id))
                 .where((SR.responder == staff_id) & (D.status == Status.NEGOTIATING.value)))
    # a stage answered jointly: each responder's own row (sent, or further actions agreed)
    jointly = (SR.select(SR.dispute).join(SRR, on=(SRR.stage_record == SR.id)).join(D, on=(SR.dispute == D.id))
               .where((SRR.responder == staff_id) & D.status.in_([Status.SENT.value, Status.NEGOTIATING.value])))
    # someone else the procedure names to send a stage or to close (be satisfied with) it: told so
    told = (N.select(N.dispute).join(D, on=(N.dispute == D.id))
            .where((N.recipient == staff_id) & N.kind.in_(["request", "decision"])  # (index notification_recipient_kind)
                   & (((N.kind == "request") & (D.status == Status.DRAFT.value))
                      | ((N.kind == "decision") & D.status.in_([Status.RESPONDED.value, Status.NEGOTIATING.value])))))
    # (by index action_open_due: the open actions due by the horizon, not every action)
    my_actions = (A.select(SR.dispute).join(SR, on=(A.stage_record == SR.id)).join(D, on=(SR.dispute == D.id))
                  .where(A.done_on.is_null() & (A.due <= horizon_day)
                         & ((SR.responder == staff_id) | (D.raised_by == staff_id))))
    parts = mine + meetings + sent_to_me + answering + jointly + told + my_actions  # (UNION ALL)
    if approver:
        parts = parts + (SR.select(SR.dispute).join(D, on=(SR.dispute == D.id))
                         .where(SR.sent_at.is_null() & SR.approval_by.is_null() & (D.status == Status.DRAFT.value)))
    found = parts.cte("found", columns=("id",))
    q = (D.select(D.id).with_cte(found).where(D.id.in_(found.select(found.c.id)) & visible_to(who))
         .order_by(D.next_due_at.is_null(), D.next_due_at, D.id).limit(MOST))
    return [int(i) for (i,) in cast("Iterable[tuple[int]]", q.tuples())]


def each_view(ids: Iterable[int]) -> Iterator[DisputeView]:
    """These disputes in full, in a fixed number of queries, in the order given, one at a time
    (each made when asked for: a caller that judges each and lets it go holds one, not MOST).
    Ask for them all inside one ``visibility.one_snapshot()``."""
    return each_dispute_view(ids)


__all__ = ["MOST", "candidates", "each_view"]
