"""SLA clocks: the one definition of every due time, pure (no database, no clock).

A ticket's clocks are computed from its SLA event log and ``now``:

* ``first_response`` starts at creation; budget = policy minutes; stopped by the
  first public staff reply (or the resolution).
* ``commitment`` starts at creation; budget = policy minutes (default 2 h);
  stopped by a committed resolution time or by the resolution.
* ``update`` starts at creation and *restarts* at every public staff reply
  (the last "started" event is the running cycle); budget default 24 h; stopped
  by the resolution, started again on reopen.
* ``resolution`` starts when a resolution time is committed; it is due at the
  committed wall-clock time (a promise made to the customer, not business
  time), extended by the time the ticket waited on the customer afterwards.

Budgets are business seconds of a :class:`Calendar` (24×7 unless a calendar
says otherwise) minus the time paused while waiting on the customer. Pauses
apply to every clock. A clock is *breached* from the instant its due time is
reached (``now >= due``) unless stopped before it: a reply at exactly the due
instant is late. A breach recorded once (a "breached" event) stays a breach of
that clock even after a later cycle or a new commitment.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

FIRST_RESPONSE = "first_response"
COMMITMENT = "commitment"
UPDATE = "update"
RESOLUTION = "resolution"
CLOCKS = (FIRST_RESPONSE, COMMITMENT, UPDATE, RESOLUTION)

STARTED, PAUSED, RESUMED, MET, STOPPED, BREACHED = "started", "paused", "resumed", "met", "stopped", "breached"

# How far ahead a due time is searched for in a business calendar (a calendar
# without any hours would otherwise never be due).
_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True)
class Calendar:
    """Business hours in a time zone: ``weekly[weekday]`` (Monday = 0) lists
    (start, end) local times; ``holidays`` are closed local dates. ``weekly=None``
    means open 24×7 (and holidays do not apply)."""

    tz: str = "UTC"
    weekly: dict[int, tuple[tuple[time, time], ...]] | None = None
    holidays: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return self.weekly is None


ALWAYS_OPEN = Calendar()


@dataclass(frozen=True)
class Event:
    clock: str  # "" for pause/resume (they apply to every clock)
    kind: str
    at: datetime
    target_at: datetime | None = None


@dataclass(frozen=True)
class ClockState:
    clock: str
    state: str  # not_started | running | paused | met | breached
    started_at: datetime | None = None
    due_at: datetime | None = None
    stopped_at: datetime | None = None
    breached: bool = False  # this clock was ever breached on this ticket
    overdue: bool = False  # the current cycle is breached and not yet recorded/stopped
    remaining_seconds: float | None = None  # wall seconds to due (running) or business seconds left (paused)


@dataclass(frozen=True)
class Budgets:
    first_response_minutes: int = 10
    commitment_minutes: int = 120
    update_minutes: int = 24 * 60

    def seconds(self, clock: str) -> float:
        minutes = {FIRST_RESPONSE: self.first_response_minutes, COMMITMENT: self.commitment_minutes,
                   UPDATE: self.update_minutes}[clock]
        return minutes * 60.0


@dataclass(frozen=True)
class TicketSla:
    clocks: dict[str, ClockState] = field(default_factory=dict)
    paused: bool = False

    def __getitem__(self, clock: str) -> ClockState:
        return self.clocks[clock]

    @property
    def next_due_at(self) -> datetime | None:
        """Earliest due time of a running clock (breached ones included): queue order."""
        dues = [c.due_at for c in self.clocks.values() if c.state in ("running", "breached") and c.stopped_at is None
                and c.due_at is not None]
        return min(dues) if dues else None

    @property
    def next_check_at(self) -> datetime | None:
        """Earliest due time of a running clock whose breach is not recorded yet: the scan's index key."""
        dues = [c.due_at for c in self.clocks.values()
                if c.stopped_at is None and c.due_at is not None and (c.overdue or c.state == "running")]
        return min(dues) if dues else None

    @property
    def next_clock(self) -> str | None:
        """The clock whose due time is ``next_due_at``: the one a countdown shows."""
        due = self.next_due_at
        return next((name for name, c in self.clocks.items() if c.due_at == due and c.stopped_at is None
                     and c.state in ("running", "breached")), None) if due else None

    @property
    def breached_clocks(self) -> list[str]:
        return [name for name, c in self.clocks.items() if c.breached]

    @property
    def any_breached(self) -> bool:
        return any(c.breached for c in self.clocks.values())

    def to_api(self) -> dict:
        fr, cm, up, rs = (self.clocks[c] for c in CLOCKS)
        return {
            "first_response_due_at": fr.due_at,
            "first_response_breached": fr.breached,
            "commitment_due_at": cm.due_at,
            "commitment_breached": cm.breached,
            "next_update_due_at": up.due_at if up.stopped_at is None else None,
            "update_breached": up.breached,
            "resolution_due_at": rs.due_at,
            "resolution_breached": rs.breached,
            "paused": self.paused,
            "next_due_at": self.next_due_at,
        }


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: SLA times must be timezone-aware")
    return dt.astimezone(timezone.utc)


def business_intervals(calendar: Calendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Business-time intervals inside [start, end), in order (UTC)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return
    if calendar.always_open:
        yield start, end
        return
    tz = ZoneInfo(calendar.tz)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        if day not in calendar.holidays:
            for t1, t2 in calendar.weekly.get(day.weekday(), ()):
                a = datetime.combine(day, t1, tzinfo=tz).astimezone(timezone.utc)
                b = datetime.combine(day, t2, tzinfo=tz).astimezone(timezone.utc)
                a, b = max(a, start), min(b, end)
                if a < b:
                    yield a, b
        day += timedelta(days=1)


def pause_intervals(events: Iterable[Event]) -> list[tuple[datetime, datetime | None]]:
    """[(paused_at, resumed_at or None)] from the ticket-wide pause/resume events."""
    out: list[tuple[datetime, datetime | None]] = []
    for e in sorted((e for e in events if e.kind in (PAUSED, RESUMED)), key=lambda e: e.at):
        if e.kind == PAUSED and (not out or out[-1][1] is not None):
            out.append((_utc(e.at), None))
        elif e.kind == RESUMED and out and out[-1][1] is None:
            out[-1] = (out[-1][0], _utc(e.at))
    return out


def _working(calendar: Calendar, start: datetime, horizon: datetime,
             pauses: Sequence[tuple[datetime, datetime | None]]) -> Iterator[tuple[datetime, datetime]]:
    """Business intervals in [start, horizon) minus the paused ones."""
    for a, b in business_intervals(calendar, start, horizon):
        pieces = [(a, b)]
        for p, r in pauses:
            r = r or datetime.max.replace(tzinfo=timezone.utc)
            pieces = [piece for x, y in pieces for piece in ((x, min(y, p)), (max(x, r), y)) if piece[0] < piece[1]]
        yield from pieces


def working_seconds(calendar: Calendar, start: datetime, end: datetime,
                    pauses: Sequence[tuple[datetime, datetime | None]] = ()) -> float:
    return sum((b - a).total_seconds() for a, b in _working(calendar, start, end, pauses))


def advance(calendar: Calendar, start: datetime, seconds: float,
            pauses: Sequence[tuple[datetime, datetime | None]] = ()) -> datetime | None:
    """The instant at which ``seconds`` of working time after ``start`` are used up;
    None while an open pause (or a calendar with no hours) keeps it from being reached."""
    start = _utc(start)
    if seconds <= 0:
        return start
    left = seconds
    # Walk in 30-day windows so a 24×7 clock costs one interval, a business one a few.
    window_start = start
    for _ in range(_SEARCH_DAYS // 30 + 1):
        horizon = window_start + timedelta(days=30)
        for a, b in _working(calendar, window_start, horizon, pauses):
            span = (b - a).total_seconds()
            if span >= left:
                return a + timedelta(seconds=left)
            left -= span
        if any(r is None and p < horizon for p, r in pauses):
            return None
        window_start = horizon
    return None


def _resolution_due(target: datetime, start: datetime,
                    pauses: Sequence[tuple[datetime, datetime | None]]) -> datetime | None:
    """Committed wall-clock time, pushed back by each wait on the customer that began before it."""
    due = _utc(target)
    for p, r in pauses:
        if r is not None and r <= start:
            continue
        if p >= due:
            break
        if r is None:
            return None
        due += r - max(p, start)
    return due


def evaluate(events: Iterable[Event], *, budgets: Budgets, calendar: Calendar, now: datetime) -> TicketSla:
    """Every clock's state at ``now`` from the event log (events after ``now`` are ignored)."""
    now = _utc(now)
    evs = sorted((e for e in events if _utc(e.at) <= now), key=lambda e: e.at)
    all_pauses = pause_intervals(evs)
    paused = bool(all_pauses) and all_pauses[-1][1] is None
    clocks = {}
    for clock in CLOCKS:
        mine = [e for e in evs if e.clock == clock]
        recorded = any(e.kind == BREACHED for e in mine)
        starts = [i for i, e in enumerate(mine) if e.kind == STARTED]
        if not starts:
            clocks[clock] = ClockState(clock, "not_started", breached=recorded)
            continue
        start = mine[starts[-1]]
        started_at = _utc(start.at)
        # The stop of *this* cycle comes after its start in the log (a restart at the
        # same instant as the previous cycle's stop must not inherit that stop).
        after = mine[starts[-1] + 1:]
        stop = next((e for e in after if e.kind in (MET, STOPPED)), None)
        stopped_at = _utc(stop.at) if stop else None
        # A pause still open when the clock stopped ends there.
        pauses = [(p, r if r is not None else stopped_at) for p, r in all_pauses] if stopped_at else all_pauses
        if clock == RESOLUTION:
            due = _resolution_due(start.target_at or started_at, started_at, pauses)
        else:
            due = advance(calendar, started_at, budgets.seconds(clock), pauses)
        late = due is not None and (stopped_at or now) >= due
        if stopped_at is not None:
            state = "breached" if late else "met"
            remaining = None
        elif due is None:
            state = "paused"
            remaining = budgets.seconds(clock) - working_seconds(calendar, started_at, now, all_pauses) \
                if clock != RESOLUTION else None
        else:
            state = "breached" if late else "running"
            remaining = (due - now).total_seconds()
        clocks[clock] = ClockState(clock, state, started_at=started_at, due_at=due, stopped_at=stopped_at,
                                   breached=recorded or late, overdue=late and not recorded,
                                   remaining_seconds=remaining)
    return TicketSla(clocks=clocks, paused=paused)
