"""Deterministic generator of realistic French demo gyms.

Same seed, member count and reference instant (`as_of`) give byte-identical data. Members follow archetypes seen in
gym churn data: loyal regulars, members drifting away (visits fading over the last weeks), members who already left
(visits fading before they quit), and newcomers. Visits follow weekly habits (preferred days and time of day) and
seasons (January rush, August dip), over the 12 months before `as_of`; they are streamed to COPY, not held in memory.
"""

from __future__ import annotations

import calendar
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import catalog

TZ_NAME = "Europe/Paris"
TZ = ZoneInfo(TZ_NAME)
ARCHETYPES = [("loyal", 0.52), ("drifting", 0.14), ("churned", 0.22), ("new", 0.12)]
GOALS = [("remise_en_forme", 25), ("perte_de_poids", 25), ("prise_de_masse", 18), ("endurance", 10),
         ("bien_etre", 9), ("force", 8), ("souplesse", 5)]
LEVELS = [("debutant", 45), ("intermediaire", 40), ("avance", 15)]
SEASON = {1: 1.25, 2: 1.1, 3: 1.05, 4: 1.0, 5: 0.95, 6: 0.9, 7: 0.75, 8: 0.6, 9: 1.15, 10: 1.05, 11: 1.0, 12: 0.85}
# Time-of-day habits: (weight, first start minute, last start minute) in local time.
SLOTS = [(25, 6 * 60 + 30, 9 * 60), (25, 12 * 60, 13 * 60 + 45), (40, 17 * 60 + 30, 20 * 60 + 45),
         (10, 9 * 60 + 30, 17 * 60)]
DAY_WEIGHTS = [1.2, 1.2, 1.1, 1.15, 0.95, 0.8, 0.5]  # lundi … dimanche
VISITS_PER_MEMBER_YEAR = 76  # measured natural average over all archetypes; `visits` rescales it


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _local(d: date, minute: int) -> datetime:
    return datetime.combine(d, time(minute // 60, minute % 60), TZ)


@dataclass
class Member:
    id: uuid.UUID
    gym_index: int
    badge_id: str
    first_name: str
    last_name: str
    gender: str
    birth_date: date
    goal: str
    level: str
    archetype: str
    joined_at: date
    contract_period: int
    contract_start: date
    contract_end: date
    is_active: bool
    left_at: date | None
    preferred_coach: uuid.UUID | None
    email: str | None
    phone: str | None
    base_freq: float
    drift_start: date | None
    days: list[int]
    slot: tuple[int, int]
    class_goer: bool
    seed: int
    # filled while visits are generated
    visit_count: int = 0
    early_visits: int = 0
    best_streak: int = 0
    last_visit: datetime | None = None
    first_visit: datetime | None = None
    milestones: dict[str, datetime] = field(default_factory=dict)


@dataclass
class DemoData:
    """Every table's rows in load order, plus the members whose visits are generated on the fly."""

    as_of: datetime
    rows: dict[str, tuple[list[str], list[tuple]]] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    gym_ids: list[uuid.UUID] = field(default_factory=list)
    scale: float = 1.0

    def add(self, table: str, columns: list[str], row: tuple) -> None:
        self.rows.setdefault(table, (columns, []))[1].append(row)


class DemoGenerator:
    def __init__(self, members: int = 2000, seed: int = 7, as_of: datetime | None = None,
                 visits: int | None = None) -> None:
        if members < len(catalog.GYMS):
            raise ValueError(f"at least {len(catalog.GYMS)} members are needed (one per gym)")
        self.n_members = members
        self.seed = seed
        now = as_of or datetime.now(UTC)
        self.as_of = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        self.today = self.as_of.astimezone(TZ).date()
        self.rng = random.Random(seed)
        self.data = DemoData(as_of=self.as_of)
        # `visits` asks for about that many visits in total: scale every member's frequency.
        if visits is not None:
            self.data.scale = max(0.01, visits / (members * VISITS_PER_MEMBER_YEAR))

    # -- structure -----------------------------------------------------------------------------------------------
    def generate(self) -> DemoData:
        for gi, spec in enumerate(catalog.GYMS):
            gym_id = _uuid(self.rng)
            self.data.gym_ids.append(gym_id)
            self._gym(gi, gym_id, spec)
        self._members()
        return self.data

    def _gym(self, gi: int, gym_id: uuid.UUID, spec: catalog.GymSpec) -> None:
        rng, d = self.rng, self.data
        d.add("gyms", ["id", "slug", "name", "address", "postal_code", "city", "latitude", "longitude", "timezone",
                       "phone", "email", "opening_hours", "amenities", "max_occupancy"],
              (gym_id, spec.slug, spec.name, spec.address, spec.postal_code, spec.city, spec.latitude,
               spec.longitude, TZ_NAME, spec.phone, f"contact.{spec.slug}@example.com", catalog.OPENING_HOURS,
               catalog.AMENITIES, spec.max_occupancy))
        d.add("gym_managers", ["id", "gym_id", "user_id", "full_name", "email", "role"],
              (_uuid(rng), gym_id, demo_manager_user_id(spec.slug), f"Gérant {spec.city}",
               f"gerant.{spec.slug}@example.com", "manager"))
        coaches = self._coaches(gi, gym_id)
        self._classes(gym_id, coaches)
        self._equipment(gym_id)
        self._exercises(gym_id)
        for question, answer, category, keywords in catalog.faq_entries(spec):
            d.add("faq", ["id", "gym_id", "question", "answer", "category", "keywords"],
                  (_uuid(rng), gym_id, question, answer, category, keywords))
        for title, kind, days, hour, hours, location, description, capacity in catalog.EVENTS:
            start = _local(self.today + timedelta(days=days + gi), int(hour[:2]) * 60 + int(hour[3:]))
            d.add("events", ["id", "gym_id", "title", "description", "kind", "starts_at", "ends_at", "location",
                             "capacity"],
                  (_uuid(rng), gym_id, title, description, kind, start, start + timedelta(hours=hours), location,
                   capacity))

    def _coaches(self, gi: int, gym_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str], list]]:
        rng, coaches = self.rng, []
        for ci in range(7 + gi % 2):
            coach_id = _uuid(rng)
            female = rng.random() < 0.5
            first = rng.choice(catalog.FIRST_NAMES_F if female else catalog.FIRST_NAMES_M)
            specialties = catalog.COACH_SPECIALTIES[(ci + gi * 3) % len(catalog.COACH_SPECIALTIES)]
            week = catalog.COACH_WEEKS[ci % len(catalog.COACH_WEEKS)]
            self.data.add("coaches", ["id", "gym_id", "first_name", "last_name", "specialties", "bio"],
                          (coach_id, gym_id, first, rng.choice(catalog.LAST_NAMES), specialties,
                           rng.choice(catalog.COACH_BIOS)))
            for weekday, start, end in week:
                self.data.add("coach_schedules", ["id", "gym_id", "coach_id", "weekday", "start_time", "end_time"],
                              (_uuid(rng), gym_id, coach_id, weekday, start, end))
            coaches.append((coach_id, specialties, week))
        self._coaches_by_gym = getattr(self, "_coaches_by_gym", {})
        self._coaches_by_gym[gym_id] = coaches
        return coaches

    def _classes(self, gym_id: uuid.UUID, coaches: list) -> None:
        rng, d = self.rng, self.data
        occurrences = []
        for name, category, level, weekday, start, minutes, capacity, room, description in catalog.TIMETABLE:
            matching = [c for c in coaches if any(category[:4] in s or s[:4] in category for s in c[1])]
            coach_id = (matching or coaches)[rng.randrange(len(matching or coaches))][0]
            slot_id = _uuid(rng)
            d.add("class_timetable", ["id", "gym_id", "name", "category", "description", "level", "weekday",
                                      "start_time", "duration_minutes", "capacity", "coach_id", "room"],
                  (slot_id, gym_id, name, category, description, level, weekday, start, minutes, capacity, coach_id,
                   room))
            minute = int(start[:2]) * 60 + int(start[3:])
            first = self.today - timedelta(days=56)
            for offset in range(56 + 29):
                day = first + timedelta(days=offset)
                if day.isoweekday() != weekday:
                    continue
                class_id = _uuid(rng)
                starts = _local(day, minute)
                d.add("group_classes", ["id", "gym_id", "timetable_id", "name", "category", "description", "level",
                                        "coach_id", "room", "starts_at", "duration_minutes", "capacity"],
                      (class_id, gym_id, slot_id, name, category, description, level, coach_id, room, starts,
                       minutes, capacity))
                occurrences.append((class_id, starts, capacity))
        self._classes_by_gym = getattr(self, "_classes_by_gym", {})
        self._classes_by_gym[gym_id] = occurrences

    def _equipment(self, gym_id: uuid.UUID) -> None:
        rng = self.rng
        for name, category, zone, count in catalog.EQUIPMENT:
            for k in range(count):
                roll = rng.random()
                status = "out_of_order" if roll < 0.04 else "maintenance" if roll < 0.10 else "operational"
                note = rng.choice(catalog.EQUIPMENT_NOTES[status]) if status != "operational" else ""
                label = f"{name} n°{k + 1}" if count > 1 else name
                self.data.add("equipment", ["id", "gym_id", "name", "category", "zone", "status", "status_note"],
                              (_uuid(rng), gym_id, label, category, zone, status, note))

    def _exercises(self, gym_id: uuid.UUID) -> None:
        rng = self.rng
        for slug, name, muscle, equipment, level, goals, sets, reps in catalog.EXERCISES:
            exercise_id = _uuid(rng)
            self.data.add("exercises", ["id", "gym_id", "slug", "name", "muscle_group", "equipment_category",
                                        "level", "goals", "default_sets", "default_reps"],
                          (exercise_id, gym_id, slug, name, muscle, equipment, level, goals, sets, reps))
            if slug in catalog.NO_VIDEO:
                continue
            self.data.add("video_library", ["id", "gym_id", "exercise_id", "title", "description", "muscle_group",
                                            "level", "url", "thumbnail_url", "duration_seconds"],
                          (_uuid(rng), gym_id, exercise_id, f"Bien faire : {name.lower()}",
                           f"Placement, respiration et erreurs fréquentes du mouvement {name.lower()}.", muscle,
                           level, f"https://videos.example.com/jarvis/{slug}.mp4",
                           f"https://videos.example.com/jarvis/{slug}.jpg", 60 + rng.randrange(180)))

    # -- members -------------------------------------------------------------------------------------------------
    def _members(self) -> None:
        counts = [round(self.n_members * g.share) for g in catalog.GYMS]
        counts[-1] = self.n_members - sum(counts[:-1])
        index = 0
        for gi, count in enumerate(counts):
            for k in range(count):
                self.data.members.append(self._member(gi, k, index))
                index += 1
        for m in self.data.members:
            self.data.add("gym_members", ["id", "gym_id", "badge_id", "first_name", "last_name", "email", "phone",
                                          "birth_date", "gender", "goal", "level", "contract_period_months",
                                          "contract_start", "contract_end", "joined_at", "is_active", "left_at",
                                          "preferred_coach_id"],
                          (m.id, self.data.gym_ids[m.gym_index], m.badge_id, m.first_name, m.last_name, m.email,
                           m.phone, m.birth_date, m.gender, m.goal, m.level, m.contract_period, m.contract_start,
                           m.contract_end, m.joined_at, m.is_active, m.left_at, m.preferred_coach))

    def _member(self, gi: int, k: int, index: int) -> Member:
        rng = random.Random(self.seed * 1_000_003 + index)
        spec = catalog.GYMS[gi]
        gym_id = self.data.gym_ids[gi]
        archetype = _pick(rng, ARCHETYPES)
        female = rng.random() < 0.5
        first = rng.choice(catalog.FIRST_NAMES_F if female else catalog.FIRST_NAMES_M)
        last = rng.choice(catalog.LAST_NAMES)
        age = int(rng.triangular(16, 70, 28))
        birth = self.today - timedelta(days=age * 365 + rng.randrange(365))
        if archetype == "new":
            joined = self.today - timedelta(days=rng.randrange(3, 60))
        else:
            joined = self.today - timedelta(days=min(1800, 60 + int(rng.expovariate(1 / 420))))
        period = int(_pick(rng, [("1", 0.62 if archetype == "churned" else 0.45), ("6", 0.22), ("12", 0.3)]))
        left_at = None
        drift_start = None
        if archetype == "churned":
            earliest = joined + timedelta(days=30)
            left_at = max(earliest, self.today - timedelta(days=rng.randrange(5, 330)))
            if left_at >= self.today:
                archetype, left_at = "drifting", None
        if archetype == "drifting":
            drift_start = self.today - timedelta(days=rng.randrange(35, 90))
        if left_at is not None:
            contract_end = left_at
            contract_start = max(joined, _add_months(left_at, -period))
            if contract_start >= contract_end:
                contract_start = contract_end - timedelta(days=30)
        else:
            months = (self.today.year - joined.year) * 12 + self.today.month - joined.month
            contract_start = _add_months(joined, (max(0, months) // period) * period)
            if contract_start > self.today:
                contract_start = _add_months(contract_start, -period)
            contract_end = _add_months(contract_start, period)
        coaches = self._coaches_by_gym[gym_id]
        preferred = coaches[rng.randrange(len(coaches))][0] if rng.random() < 0.35 else None
        base = {"loyal": (1.5, 4.5), "drifting": (1.5, 3.5), "churned": (0.6, 2.6), "new": (1.0, 3.5)}[archetype]
        n_days = rng.choice([2, 3, 3, 4, 4, 5])
        days = sorted(rng.choices(range(7), weights=DAY_WEIGHTS, k=n_days * 2))[:n_days]
        slot = SLOTS[rng.choices(range(len(SLOTS)), weights=[s[0] for s in SLOTS])[0]][1:]
        ascii_first = first.lower().translate(_ASCII)
        ascii_last = last.lower().replace(" ", "").translate(_ASCII)
        return Member(
            id=_uuid(rng), gym_index=gi, badge_id=f"{spec.code}-{k + 1:06d}", first_name=first, last_name=last,
            gender="F" if female else "M", birth_date=birth, goal=_pick(rng, GOALS), level=_pick(rng, LEVELS),
            archetype=archetype, joined_at=joined, contract_period=period, contract_start=contract_start,
            contract_end=contract_end, is_active=left_at is None, left_at=left_at, preferred_coach=preferred,
            email=f"{ascii_first}.{ascii_last}{index}@example.com" if rng.random() < 0.95 else None,
            phone=f"+33 6 39 98 {rng.randrange(100):02d} {rng.randrange(100):02d}" if rng.random() < 0.85 else None,
            base_freq=rng.uniform(*base) * self.data.scale, drift_start=drift_start, days=sorted(set(days)),
            slot=slot, class_goer=rng.random() < 0.4, seed=self.seed * 7_919 + index)

    # -- visits --------------------------------------------------------------------------------------------------
    def visits(self, member: Member) -> Iterator[tuple[datetime, datetime | None]]:
        """Check-in / check-out of one member over the 12 months before as_of (updates the member's counters)."""
        rng = random.Random(member.seed)
        start = max(member.joined_at, self.today - timedelta(days=365))
        end = member.left_at or self.today
        week_start = start - timedelta(days=start.weekday())
        streak = 0
        while week_start <= end:
            factor = SEASON[week_start.month]
            if member.drift_start and week_start >= member.drift_start:
                factor *= math.exp(-(week_start - member.drift_start).days / 14)
            if member.left_at:
                weeks_left = (member.left_at - week_start).days / 7
                if weeks_left < 6:
                    factor *= max(0.05, weeks_left / 6)
            n = min(7, _poisson(rng, member.base_freq * factor))
            chosen = list(member.days)
            rng.shuffle(chosen)
            extra = [d for d in range(7) if d not in chosen]
            rng.shuffle(extra)
            in_week = 0
            for weekday in sorted((chosen + extra)[:n]):
                day = week_start + timedelta(days=weekday)
                if day < start or day > end:
                    continue
                minute = rng.randrange(member.slot[0], member.slot[1] + 1) if weekday < 5 else \
                    rng.randrange(max(member.slot[0], 9 * 60), max(member.slot[1], 9 * 60) + 1)
                checked_in = _local(day, minute).astimezone(UTC)
                if checked_in >= self.as_of:
                    continue
                checked_out = checked_in + timedelta(minutes=rng.randrange(45, 111))
                if checked_out > self.as_of:
                    checked_out = None
                in_week += 1
                member.visit_count += 1
                member.first_visit = member.first_visit or checked_in
                member.last_visit = checked_in
                if minute < 8 * 60:
                    member.early_visits += 1
                    if member.early_visits == 10:
                        member.milestones["early_bird"] = checked_in
                for code, threshold in (("visits_10", 10), ("visits_50", 50), ("visits_100", 100)):
                    if member.visit_count == threshold:
                        member.milestones[code] = checked_in
                yield checked_in, checked_out
            streak = streak + 1 if in_week else 0
            if streak == 4 and "streak_4" not in member.milestones:
                member.milestones["streak_4"] = _local(week_start + timedelta(days=6), 20 * 60).astimezone(UTC)
            member.best_streak = max(member.best_streak, streak)
            week_start += timedelta(days=7)


    # -- activity derived from members and visits (call after visits() ran for every member) ----------------------
    def activity(self) -> DemoData:
        """Rows that depend on members and their visits: enrolments, appointments, programs, achievements, past
        voice sessions with feedback, missions and notifications."""
        d = self.data
        for rows in ("class_enrollments", "coach_appointments", "training_programs", "achievements",
                     "voice_sessions", "jarvis_interactions", "member_feedback", "manager_missions",
                     "manager_notifications"):
            d.rows.pop(rows, None)
        rng = random.Random(self.seed * 31 + 1)
        classes_attended: dict[uuid.UUID, int] = {}
        for gi, gym_id in enumerate(d.gym_ids):
            members = [m for m in d.members if m.gym_index == gi]
            self._enrollments(rng, gym_id, members, classes_attended)
            self._appointments(rng, gym_id, members)
        for m in d.members:
            self._programs(rng, m)
            self._achievements(m, classes_attended.get(m.id, 0))
        self._sessions(rng)
        return d

    def _enrollments(self, rng: random.Random, gym_id: uuid.UUID, members: list[Member],
                     attended: dict[uuid.UUID, int]) -> None:
        goers = [m for m in members if m.class_goer]
        columns = ["id", "gym_id", "class_id", "member_id", "status", "created_at"]
        for class_id, starts, capacity in self._classes_by_gym[gym_id]:
            day = starts.date()
            pool = [m for m in goers if m.joined_at <= day and (m.left_at or self.today) >= day]
            past = starts < self.as_of
            if not past:
                pool = [m for m in pool if m.is_active]
            share = rng.uniform(0.35, 0.95) if past else (1.0 if rng.random() < 0.15 else rng.uniform(0.1, 0.8))
            for m in rng.sample(pool, min(len(pool), int(capacity * share))):
                status = ("no_show" if rng.random() < 0.1 else "attended") if past else "enrolled"
                if status == "attended":
                    attended[m.id] = attended.get(m.id, 0) + 1
                created = min(starts - timedelta(hours=rng.randrange(2, 120)), self.as_of - timedelta(minutes=5))
                self.data.add("class_enrollments", columns, (_uuid(rng), gym_id, class_id, m.id, status, created))

    def _appointments(self, rng: random.Random, gym_id: uuid.UUID, members: list[Member]) -> None:
        active = [m for m in members if m.is_active]
        busy: set[tuple[uuid.UUID, datetime]] = set()
        columns = ["id", "gym_id", "coach_id", "member_id", "starts_at", "ends_at", "status", "note", "created_at"]
        for coach_id, _specialties, week in self._coaches_by_gym[gym_id]:
            fans = [m for m in active if m.preferred_coach == coach_id] or active
            for offset in range(-56, 15):
                day = self.today + timedelta(days=offset)
                for weekday, start, end in week:
                    if weekday != day.isoweekday() or rng.random() > 0.45:
                        continue
                    hour = rng.randrange(int(start[:2]), int(end[:2]))
                    starts = _local(day, hour * 60).astimezone(UTC)
                    member = rng.choice(fans)
                    if (coach_id, starts) in busy or (member.id, starts) in busy or starts.date() < member.joined_at:
                        continue
                    if abs((starts - self.as_of).total_seconds()) < 3 * 3600:
                        continue  # keep the next hours free, demos book there
                    busy.update({(coach_id, starts), (member.id, starts)})
                    status = "booked" if starts > self.as_of else ("no_show" if rng.random() < 0.1 else "completed")
                    self.data.add("coach_appointments", columns,
                                  (_uuid(rng), gym_id, coach_id, member.id, starts, starts + timedelta(hours=1),
                                   status, rng.choice([None, "Bilan forme", "Suivi du programme", "Technique"]),
                                   min(starts, self.as_of) - timedelta(days=rng.randrange(1, 10))))

    def _programs(self, rng: random.Random, m: Member) -> None:
        if not m.is_active or rng.random() > 0.5:
            return
        gym_id = self.data.gym_ids[m.gym_index]
        levels = {"debutant": {"debutant"}, "intermediaire": {"debutant", "intermediaire"}}.get(
            m.level, {"debutant", "intermediaire", "avance"})
        fitting = [e for e in catalog.EXERCISES if e[4] in levels and m.goal in e[5]] or \
                  [e for e in catalog.EXERCISES if e[4] in levels]
        coach = m.preferred_coach or rng.choice(self._coaches_by_gym[gym_id])[0]
        columns = ["id", "gym_id", "member_id", "coach_id", "name", "goal", "level", "sessions_per_week",
                   "exercises", "status", "starts_on", "ends_on"]
        label = m.goal.replace("_", " ")
        starts = max(m.joined_at, self.today - timedelta(days=rng.randrange(0, 60)))
        for status, begin in (("active", starts), ("completed", starts - timedelta(weeks=9))):
            if status == "completed" and (rng.random() > 0.3 or begin < m.joined_at):
                continue
            chosen = rng.sample(fitting, min(len(fitting), rng.randrange(4, 7)))
            per_week = rng.choice([2, 3, 3, 4])
            self.data.add("training_programs", columns,
                          (_uuid(rng), gym_id, m.id, coach, f"Programme {label} – {per_week} séances", m.goal,
                           m.level, per_week,
                           [{"exercise": e[0], "sets": e[6], "reps": e[7]} for e in chosen], status, begin,
                           begin + timedelta(weeks=8)))

    def _achievements(self, m: Member, classes: int) -> None:
        earned = dict(m.milestones)
        if m.first_visit:
            earned["first_visit"] = m.first_visit
        if classes >= 10:
            earned["classes_10"] = self.as_of - timedelta(days=3)
        columns = ["id", "gym_id", "member_id", "code", "title", "description", "earned_at"]
        rng = random.Random(m.seed + 1)
        for code in sorted(earned):
            title, description = catalog.ACHIEVEMENTS[code]
            self.data.add("achievements", columns,
                          (_uuid(rng), self.data.gym_ids[m.gym_index], m.id, code, title, description, earned[code]))

    def _sessions(self, rng: random.Random) -> None:
        columns = ["id", "gym_id", "member_id", "kiosk_id", "status", "started_at", "ended_at", "end_reason",
                   "transcript", "metrics", "summary", "sentiment_score", "sentiment_label", "analytics",
                   "analytics_status", "analytics_updated_at"]
        for m in self.data.members:
            if m.last_visit is None or rng.random() > 0.06:
                continue
            gym_id = self.data.gym_ids[m.gym_index]
            mood = "negative" if m.archetype in ("drifting", "churned") and rng.random() < 0.7 else \
                rng.choice(["positive", "positive", "neutral"])
            for _ in range(rng.randrange(1, 4)):
                started = m.last_visit - timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(0, 30))
                started = max(started, m.first_visit or started)
                script = rng.choice(SCRIPTS[mood])
                turns, at = [], started
                for role, text in script["turns"]:
                    at += timedelta(seconds=rng.randrange(3, 9))
                    turn = {"role": role, "text": text.format(name=m.first_name), "at": at.isoformat()}
                    if role == "assistant":
                        turn["metrics"] = {"e2e_latency": round(rng.uniform(0.45, 0.9), 3)}
                    turns.append(turn)
                session_id = _uuid(rng)
                score = {"positive": rng.uniform(0.4, 0.9), "neutral": rng.uniform(-0.15, 0.2),
                         "negative": rng.uniform(-0.9, -0.35)}[mood]
                self.data.add("voice_sessions", columns,
                              (session_id, gym_id, m.id, f"kiosk-{m.gym_index + 1}", "ended", started, at,
                               "goodbye", turns, {"turns": len(turns) // 2}, script["summary"], round(score, 2),
                               mood, {"source": "demo", "sentiment": {"score": round(score, 2), "label": mood}},
                               "done", at))
                if script.get("feedback"):
                    category, severity, text = script["feedback"]
                    self.data.add("member_feedback",
                                  ["id", "gym_id", "member_id", "session_id", "category", "sentiment", "severity",
                                   "message", "created_at"],
                                  (_uuid(rng), gym_id, m.id, session_id, category, mood, severity, text, at))
            if mood == "negative" and m.is_active:
                self.data.add("manager_missions",
                              ["id", "gym_id", "member_id", "title", "description", "priority", "status",
                               "due_date", "source"],
                              (_uuid(rng), gym_id, m.id, f"Rappeler {m.first_name} {m.last_name[0]}.",
                               "Fréquentation en baisse et insatisfaction exprimée à la borne : proposer un point "
                               "avec un coach.", rng.choice(["medium", "high"]), "open",
                               self.today + timedelta(days=rng.randrange(1, 8)), "analytics"))
        for gi, gym_id in enumerate(self.data.gym_ids):
            self.data.add("manager_notifications",
                          ["id", "gym_id", "urgency", "title", "message", "source", "status", "created_at"],
                          (_uuid(rng), gym_id, "high", "Machine signalée",
                           "Un membre signale que le tapis de course n°3 s'arrête en pleine séance.", "jarvis",
                           "unread", self.as_of - timedelta(hours=5 + gi)))


# Past kiosk conversations of the demo, by mood.
SCRIPTS: dict[str, list[dict]] = {
    "positive": [
        {"turns": [("assistant", "Salut {name} ! Content de te voir, qu'est-ce que je peux faire pour toi ?"),
                   ("user", "Il reste de la place au yoga demain midi ?"),
                   ("assistant", "Oui, il reste six places au Yoga Vinyasa de midi et quart. Je t'inscris ?"),
                   ("user", "Oui vas-y, merci !"),
                   ("assistant", "C'est fait, tu es inscrit. Bonne séance !")],
         "summary": "Inscription au cours de yoga du lendemain, membre de bonne humeur."},
        {"turns": [("assistant", "Salut {name} ! Ça fait plaisir, quoi de neuf ?"),
                   ("user", "Je voudrais une vidéo pour bien faire le squat."),
                   ("assistant", "Je te mets la vidéo sur le miroir. Garde bien le dos droit !"),
                   ("user", "Super, c'est top, merci Jarvis.")],
         "summary": "Demande de tutoriel squat, vidéo affichée, membre satisfait."},
    ],
    "neutral": [
        {"turns": [("assistant", "Bonjour {name}, je t'écoute."),
                   ("user", "La salle ferme à quelle heure le dimanche ?"),
                   ("assistant", "Le dimanche, on ferme à dix-neuf heures."),
                   ("user", "D'accord.")],
         "summary": "Question sur les horaires du dimanche."},
    ],
    "negative": [
        {"turns": [("assistant", "Salut {name}, ça faisait longtemps ! Comment ça va ?"),
                   ("user", "Bof, le soir il y a trop de monde, j'attends toujours pour les machines."),
                   ("assistant", "Je comprends, c'est frustrant. Entre dix heures et midi c'est beaucoup plus calme."),
                   ("user", "Je travaille à ces heures-là. Franchement je me demande si je vais continuer.")],
         "summary": "Membre frustré par l'affluence du soir, envisage d'arrêter.",
         "feedback": ("affluence", "medium", "Trop de monde le soir, attente aux machines.")},
        {"turns": [("assistant", "Salut {name} !"),
                   ("user", "Le tapis de course numéro trois s'arrête tout seul, c'est la deuxième fois."),
                   ("assistant", "Désolé pour ça, je le signale tout de suite à l'équipe."),
                   ("user", "Oui, c'est pénible.")],
         "summary": "Signalement d'un tapis de course défaillant, membre agacé.",
         "feedback": ("equipement", "high", "Le tapis de course n°3 s'arrête en pleine séance.")},
        {"turns": [("assistant", "Bonjour {name}, qu'est-ce que je peux faire pour toi ?"),
                   ("user", "Je n'ai plus trop de motivation, je ne vois pas de progrès."),
                   ("assistant", "Ça arrive, et c'est souvent le moment de revoir le programme avec un coach."),
                   ("user", "Peut-être, je ne sais pas.")],
         "summary": "Baisse de motivation, pas de progrès ressentis, proposition d'un point coach."},
    ],
}

_ASCII = str.maketrans("àâäéèêëîïôöùûüçœæ", "aaaeeeeiioouuucoa")


def demo_manager_user_id(slug: str) -> uuid.UUID:
    """The Supabase auth user id of a demo gym's manager (stable, so a demo JWT can be minted for it)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://jarvis.example.com/demo-manager/{slug}")
