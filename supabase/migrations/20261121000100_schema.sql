-- The Jarvis schema: one row of `gyms` per club, every tenant row carries `gym_id`.
--
-- References between tenant tables are composite foreign keys on (gym_id, id): a row of gym A can never point at a
-- member, coach or class of gym B, whatever the application does.

-- Accent- and case-insensitive matching ("Développé couché" = "developpe couche"). unaccent() is only STABLE; this
-- wrapper pins the dictionary so it can be IMMUTABLE and used in indexes and generated columns.
create function jarvis_private.norm(p text) returns text
  language sql immutable parallel safe strict
  set search_path = ''
  as $$ select lower(extensions.unaccent('extensions.unaccent'::regdictionary, p)) $$;

create table public.gyms (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text not null check (length(name) between 1 and 120),
  address text not null default '',
  postal_code text not null default '',
  city text not null default '',
  latitude double precision check (latitude between -90 and 90),
  longitude double precision check (longitude between -180 and 180),
  timezone text not null default 'Europe/Paris',
  phone text,
  email text,
  -- ISO weekday (1 = lundi) -> ["06:00", "23:00"]; a missing day means closed.
  opening_hours jsonb not null default '{}' check (jsonb_typeof(opening_hours) = 'object'),
  amenities text[] not null default '{}',
  max_occupancy integer check (max_occupancy > 0),
  -- group_classes rows exist up to this date (materialised from class_timetable).
  classes_materialized_until date,
  created_at timestamptz not null default now()
);

create table public.gym_managers (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  user_id uuid not null, -- the Supabase auth user (JWT sub)
  full_name text not null check (length(full_name) between 1 and 120),
  email text,
  role text not null default 'manager' check (role in ('owner', 'manager', 'staff')),
  created_at timestamptz not null default now(),
  unique (gym_id, user_id)
);
create index gym_managers_user_idx on public.gym_managers (user_id);

create table public.coaches (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  first_name text not null check (length(first_name) between 1 and 60),
  last_name text not null check (length(last_name) between 1 and 60),
  specialties text[] not null default '{}',
  bio text not null default '' check (length(bio) <= 1000),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  unique (gym_id, id)
);
create index coaches_gym_idx on public.coaches (gym_id) where is_active;

create table public.coach_schedules (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null,
  coach_id uuid not null,
  weekday smallint not null check (weekday between 1 and 7), -- ISO: 1 = lundi
  start_time time not null,
  end_time time not null,
  check (end_time > start_time),
  foreign key (gym_id, coach_id) references public.coaches (gym_id, id) on delete cascade
);
create index coach_schedules_coach_idx on public.coach_schedules (coach_id, weekday);

create table public.gym_members (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  badge_id text not null check (length(badge_id) between 1 and 64),
  first_name text not null check (length(first_name) between 1 and 60),
  last_name text not null check (length(last_name) between 1 and 60),
  email text check (length(email) <= 254),
  phone text check (length(phone) <= 32),
  birth_date date,
  gender text check (gender in ('F', 'M', 'X')),
  goal text not null default 'remise_en_forme'
    check (goal in ('perte_de_poids', 'prise_de_masse', 'remise_en_forme', 'endurance', 'force', 'souplesse',
                    'bien_etre')),
  goal_note text check (length(goal_note) <= 500),
  level text not null default 'debutant' check (level in ('debutant', 'intermediaire', 'avance')),
  contract_period_months smallint not null check (contract_period_months in (1, 6, 12)),
  contract_start date not null,
  contract_end date not null,
  joined_at date not null,
  is_active boolean not null default true,
  left_at date,
  preferred_coach_id uuid,
  churn_score real check (churn_score between 0 and 1),
  churn_level text check (churn_level in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  churn_factors jsonb,
  churn_scored_at timestamptz,
  churn_model_version text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (contract_end > contract_start),
  check (left_at is null or not is_active),
  unique (gym_id, badge_id),
  unique (gym_id, id),
  foreign key (gym_id, preferred_coach_id) references public.coaches (gym_id, id) on delete set null (preferred_coach_id)
);
create index gym_members_churn_idx on public.gym_members (gym_id, churn_score desc nulls last) where is_active;
create index gym_members_coach_idx on public.gym_members (preferred_coach_id) where preferred_coach_id is not null;

create table public.visit_history (
  id bigint generated always as identity primary key,
  gym_id uuid not null,
  member_id uuid not null,
  checked_in_at timestamptz not null,
  checked_out_at timestamptz,
  check (checked_out_at is null or checked_out_at > checked_in_at),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete cascade
);
create index visit_history_member_idx on public.visit_history (member_id, checked_in_at desc);
create index visit_history_gym_time_idx on public.visit_history (gym_id, checked_in_at desc);

-- The weekly timetable; group_classes holds its dated occurrences (what members enrol in).
create table public.class_timetable (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  name text not null check (length(name) between 1 and 80),
  category text not null default 'autre',
  description text not null default '',
  level text not null default 'tous' check (level in ('tous', 'debutant', 'intermediaire', 'avance')),
  weekday smallint not null check (weekday between 1 and 7),
  start_time time not null, -- gym local time
  duration_minutes integer not null check (duration_minutes between 15 and 240),
  capacity integer not null check (capacity between 1 and 500),
  coach_id uuid,
  room text not null default '',
  is_active boolean not null default true,
  unique (gym_id, id),
  foreign key (gym_id, coach_id) references public.coaches (gym_id, id) on delete set null (coach_id)
);

create table public.group_classes (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  timetable_id uuid,
  name text not null check (length(name) between 1 and 80),
  category text not null default 'autre',
  description text not null default '',
  level text not null default 'tous',
  coach_id uuid,
  room text not null default '',
  starts_at timestamptz not null,
  duration_minutes integer not null check (duration_minutes between 15 and 240),
  capacity integer not null check (capacity between 1 and 500),
  status text not null default 'scheduled' check (status in ('scheduled', 'cancelled')),
  unique (gym_id, id),
  unique (timetable_id, starts_at),
  foreign key (gym_id, timetable_id) references public.class_timetable (gym_id, id) on delete set null (timetable_id),
  foreign key (gym_id, coach_id) references public.coaches (gym_id, id) on delete set null (coach_id)
);
create index group_classes_gym_time_idx on public.group_classes (gym_id, starts_at);

create table public.class_enrollments (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null,
  class_id uuid not null,
  member_id uuid not null,
  status text not null default 'enrolled' check (status in ('enrolled', 'cancelled', 'attended', 'no_show')),
  created_at timestamptz not null default now(),
  cancelled_at timestamptz,
  unique (gym_id, id),
  foreign key (gym_id, class_id) references public.group_classes (gym_id, id) on delete cascade,
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete cascade
);
-- One live enrolment per member and class; capacity is checked under a row lock on the class.
create unique index class_enrollments_member_uq on public.class_enrollments (class_id, member_id)
  where status <> 'cancelled';
create index class_enrollments_member_idx on public.class_enrollments (member_id, status);

create table public.coach_appointments (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null,
  coach_id uuid not null,
  member_id uuid not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  status text not null default 'booked' check (status in ('booked', 'cancelled', 'completed', 'no_show')),
  note text check (length(note) <= 500),
  created_at timestamptz not null default now(),
  cancelled_at timestamptz,
  check (ends_at > starts_at),
  unique (gym_id, id),
  foreign key (gym_id, coach_id) references public.coaches (gym_id, id) on delete cascade,
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete cascade,
  -- A coach can't be in two appointments at once; nor can a member.
  constraint coach_appointments_coach_overlap
    exclude using gist (coach_id with =, tstzrange(starts_at, ends_at) with &&) where (status = 'booked'),
  constraint coach_appointments_member_overlap
    exclude using gist (member_id with =, tstzrange(starts_at, ends_at) with &&) where (status = 'booked')
);
create index coach_appointments_member_idx on public.coach_appointments (member_id, starts_at);

-- Every reservation of a member, whatever its kind: what cancel_booking and the dashboard work on.
create view public.bookings with (security_invoker = true) as
  select a.id, a.gym_id, a.member_id, 'coach'::text as kind,
         a.starts_at, a.ends_at,
         case a.status when 'booked' then 'booked' when 'cancelled' then 'cancelled' else 'done' end as status,
         c.first_name || ' ' || c.last_name as title, a.coach_id, null::uuid as class_id, a.created_at, a.cancelled_at
  from public.coach_appointments a join public.coaches c on c.id = a.coach_id
  union all
  select e.id, e.gym_id, e.member_id, 'class'::text,
         g.starts_at, g.starts_at + make_interval(mins => g.duration_minutes),
         -- a class the gym cancelled cancels its enrolments, as far as the member is concerned
         case when e.status = 'cancelled' or (e.status = 'enrolled' and g.status = 'cancelled') then 'cancelled'
              when e.status = 'enrolled' then 'booked' else 'done' end,
         g.name, g.coach_id, g.id, e.created_at, e.cancelled_at
  from public.class_enrollments e join public.group_classes g on g.id = e.class_id;

create table public.equipment (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  name text not null check (length(name) between 1 and 120),
  category text not null,
  zone text not null default '',
  status text not null default 'operational' check (status in ('operational', 'maintenance', 'out_of_order')),
  status_note text not null default '',
  updated_at timestamptz not null default now(),
  unique (gym_id, id)
);
create index equipment_gym_idx on public.equipment (gym_id, status);

-- Exercise catalogue of a gym: what recommendations and programs are made of.
create table public.exercises (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9-]{1,80}$'),
  name text not null,
  muscle_group text not null,
  equipment_category text, -- null: body weight
  level text not null default 'debutant' check (level in ('debutant', 'intermediaire', 'avance')),
  goals text[] not null default '{}',
  default_sets smallint not null default 3 check (default_sets between 1 and 10),
  default_reps text not null default '10-12',
  unique (gym_id, slug),
  unique (gym_id, id)
);

create table public.video_library (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  exercise_id uuid,
  title text not null check (length(title) between 1 and 160),
  description text not null default '',
  muscle_group text not null default '',
  level text not null default 'debutant',
  url text not null check (url ~ '^https?://'),
  thumbnail_url text,
  duration_seconds integer not null check (duration_seconds between 1 and 7200),
  search_text text generated always as (jarvis_private.norm(title || ' ' || muscle_group || ' ' || description)) stored,
  unique (gym_id, id),
  foreign key (gym_id, exercise_id) references public.exercises (gym_id, id) on delete set null (exercise_id)
);
create index video_library_search_idx on public.video_library using gin (search_text extensions.gin_trgm_ops);
create index video_library_exercise_idx on public.video_library (exercise_id);

create table public.training_programs (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null,
  member_id uuid not null,
  coach_id uuid,
  name text not null,
  goal text not null,
  level text not null,
  sessions_per_week smallint not null check (sessions_per_week between 1 and 7),
  -- [{"exercise": slug, "sets": n, "reps": "8-10"}]
  exercises jsonb not null default '[]' check (jsonb_typeof(exercises) = 'array'),
  status text not null default 'active' check (status in ('active', 'completed', 'archived')),
  starts_on date not null,
  ends_on date,
  created_at timestamptz not null default now(),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete cascade,
  foreign key (gym_id, coach_id) references public.coaches (gym_id, id) on delete set null (coach_id)
);
create index training_programs_member_idx on public.training_programs (member_id, starts_on desc);

create table public.events (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  title text not null,
  description text not null default '',
  kind text not null default 'autre' check (kind in ('challenge', 'stage', 'atelier', 'soiree', 'competition', 'autre')),
  starts_at timestamptz not null,
  ends_at timestamptz,
  location text not null default '',
  capacity integer check (capacity > 0),
  check (ends_at is null or ends_at > starts_at)
);
create index events_gym_time_idx on public.events (gym_id, starts_at);

create table public.achievements (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null,
  member_id uuid not null,
  code text not null,
  title text not null,
  description text not null default '',
  earned_at timestamptz not null,
  unique (member_id, code),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete cascade
);

create table public.leaderboards (
  gym_id uuid not null references public.gyms (id) on delete cascade,
  period text not null check (period ~ '^[0-9]{4}-[0-9]{2}$'), -- a calendar month of the gym
  metric text not null check (metric in ('visits')),
  member_id uuid not null,
  score integer not null,
  rank integer not null,
  computed_at timestamptz not null default now(),
  primary key (gym_id, period, metric, member_id),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete cascade
);
create index leaderboards_rank_idx on public.leaderboards (gym_id, period, metric, rank);

create table public.faq (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  question text not null check (length(question) between 1 and 500),
  answer text not null check (length(answer) between 1 and 2000),
  category text not null default 'general',
  keywords text not null default '',
  search_vector tsvector generated always as (
    setweight(to_tsvector('french'::regconfig, jarvis_private.norm(question || ' ' || keywords)), 'A')
    || setweight(to_tsvector('french'::regconfig, jarvis_private.norm(answer)), 'B')
  ) stored
);
create index faq_search_idx on public.faq using gin (search_vector);
create index faq_gym_idx on public.faq (gym_id);

-- Curated, non-medical nutrition tips per goal (reference data, not tenant data).
create table public.nutrition_tips (
  id serial primary key,
  goal text not null,
  tip text not null,
  position smallint not null default 0
);
create index nutrition_tips_goal_idx on public.nutrition_tips (goal, position);

create table public.voice_sessions (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  member_id uuid,
  kiosk_id text check (length(kiosk_id) <= 128),
  status text not null default 'started' check (status in ('started', 'ended', 'failed')),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  end_reason text,
  -- [{"role": "user"|"assistant", "text": ..., "at": ..., "metrics": {...}}]
  transcript jsonb not null default '[]' check (jsonb_typeof(transcript) = 'array'),
  metrics jsonb not null default '{}' check (jsonb_typeof(metrics) = 'object'),
  summary text,
  sentiment_score real check (sentiment_score between -1 and 1),
  sentiment_label text check (sentiment_label in ('positive', 'neutral', 'negative')),
  analytics jsonb,
  analytics_status text not null default 'none'
    check (analytics_status in ('none', 'pending', 'queued', 'processing', 'done', 'failed', 'skipped')),
  analytics_error text,
  analytics_updated_at timestamptz,
  unique (gym_id, id),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete set null (member_id)
);
create index voice_sessions_member_idx on public.voice_sessions (member_id, started_at desc);
create index voice_sessions_gym_idx on public.voice_sessions (gym_id, started_at desc);
create index voice_sessions_pending_idx on public.voice_sessions (analytics_updated_at)
  where analytics_status in ('pending', 'queued', 'processing');

create table public.jarvis_interactions (
  id bigint generated always as identity primary key,
  gym_id uuid not null,
  session_id uuid not null,
  seq integer not null check (seq >= 0),
  tool_name text not null check (length(tool_name) <= 80),
  arguments jsonb not null default '{}',
  result text,
  error text,
  latency_ms real check (latency_ms >= 0),
  created_at timestamptz not null default now(),
  unique (session_id, seq),
  foreign key (gym_id, session_id) references public.voice_sessions (gym_id, id) on delete cascade
);
create index jarvis_interactions_gym_idx on public.jarvis_interactions (gym_id, created_at desc);

create table public.member_feedback (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  member_id uuid,
  session_id uuid,
  category text not null check (category in ('equipement', 'proprete', 'personnel', 'cours', 'horaires', 'tarifs',
                                              'affluence', 'ambiance', 'securite', 'autre')),
  sentiment text not null check (sentiment in ('positive', 'neutral', 'negative')),
  severity text not null default 'low' check (severity in ('low', 'medium', 'high', 'critical')),
  message text not null check (length(message) between 1 and 2000),
  status text not null default 'new' check (status in ('new', 'acknowledged', 'resolved')),
  created_at timestamptz not null default now(),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete set null (member_id),
  foreign key (gym_id, session_id) references public.voice_sessions (gym_id, id) on delete set null (session_id)
);
create index member_feedback_gym_idx on public.member_feedback (gym_id, created_at desc);
create index member_feedback_member_idx on public.member_feedback (member_id, created_at desc);

create table public.manager_notifications (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  member_id uuid,
  session_id uuid,
  urgency text not null check (urgency in ('low', 'medium', 'high', 'critical')),
  title text not null check (length(title) between 1 and 160),
  message text not null check (length(message) between 1 and 2000),
  source text not null default 'jarvis' check (source in ('jarvis', 'analytics', 'system')),
  status text not null default 'unread' check (status in ('unread', 'read', 'archived')),
  created_at timestamptz not null default now(),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete set null (member_id),
  foreign key (gym_id, session_id) references public.voice_sessions (gym_id, id) on delete set null (session_id)
);
create index manager_notifications_gym_idx on public.manager_notifications (gym_id, status, created_at desc);

create table public.manager_missions (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  member_id uuid,
  session_id uuid,
  title text not null check (length(title) between 1 and 160),
  description text not null check (length(description) between 1 and 2000),
  priority text not null check (priority in ('low', 'medium', 'high', 'urgent')),
  status text not null default 'open' check (status in ('open', 'in_progress', 'done', 'cancelled')),
  due_date date,
  source text not null default 'jarvis' check (source in ('jarvis', 'analytics', 'manager')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete set null (member_id),
  foreign key (gym_id, session_id) references public.voice_sessions (gym_id, id) on delete set null (session_id)
);
create index manager_missions_gym_idx on public.manager_missions (gym_id, status, created_at desc);

-- Outgoing SMS and e-mail: written by the tools, delivered by a separate step (Twilio / Resend).
create table public.outbox_messages (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  member_id uuid,
  channel text not null check (channel in ('sms', 'email')),
  recipient text not null check (length(recipient) between 3 and 254),
  subject text check (length(subject) <= 200),
  body text not null check (length(body) between 1 and 10000),
  status text not null default 'queued' check (status in ('queued', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  foreign key (gym_id, member_id) references public.gym_members (gym_id, id) on delete set null (member_id)
);
create index outbox_messages_queued_idx on public.outbox_messages (created_at) where status = 'queued';

-- Idempotency of actions: a retried call with the same key returns the first result and writes nothing more.
create table jarvis_private.idempotency_keys (
  gym_id uuid not null references public.gyms (id) on delete cascade,
  key text not null check (length(key) between 1 and 200),
  action text not null,
  member_id uuid,
  result jsonb,
  created_at timestamptz not null default now(),
  primary key (gym_id, key)
);
