-- The token server's data API: kiosks (per-gym API keys, stored as SHA-256 hashes), the kiosk session opening, and
-- the manager dashboard's reads. Every dashboard function takes the manager's auth user id (the verified JWT's sub)
-- and the gym slug, and answers "not found" for a gym that user does not manage: gym B does not exist for gym A.

-- Readiness probe of the data API (the token server's /readyz): the database answers and the API is migrated.
create function public.ping()
  returns jsonb
  language sql stable
  set search_path = public, extensions, pg_temp
  as $$ select jsonb_build_object('ok', true, 'at', jarvis_private.iso(now())) $$;

create table public.kiosks (
  id uuid primary key default gen_random_uuid(),
  gym_id uuid not null references public.gyms (id) on delete cascade,
  name text not null check (length(name) between 1 and 80),
  -- hex SHA-256 of the key: keys are 256-bit random strings, so a fast hash is enough; the key itself is never stored
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  key_prefix text not null check (length(key_prefix) between 4 and 16), -- shown to operators to tell keys apart
  -- after a rotation the previous key keeps working for a grace period, so a kiosk can be reconfigured without a gap
  previous_key_hash text unique check (previous_key_hash ~ '^[0-9a-f]{64}$'),
  previous_key_expires_at timestamptz,
  created_at timestamptz not null default now(),
  rotated_at timestamptz,
  revoked_at timestamptz,
  last_session_at timestamptz,
  unique (gym_id, name)
);
alter table public.kiosks enable row level security; -- no policy: key hashes are for the service role only
revoke all on public.kiosks from anon, authenticated;

create index voice_sessions_started_idx on public.voice_sessions (started_at) where status = 'started';

create function jarvis_private.gym_by_slug(p_gym_slug text)
  returns public.gyms
  language plpgsql stable
  set search_path = ''
  as $$
declare
  g public.gyms;
begin
  select * into g from public.gyms where slug = p_gym_slug;
  if not found then
    perform jarvis_private.fail('JN404', 'gym_not_found', 'Je ne trouve pas cette salle.');
  end if;
  return g;
end
$$;

-- The gym `p_gym_slug` if the auth user `p_user_id` manages it; otherwise "not found", exactly as an unknown slug.
create function jarvis_private.managed_gym(p_user_id uuid, p_gym_slug text)
  returns public.gyms
  language plpgsql stable
  set search_path = ''
  as $$
declare
  g public.gyms;
begin
  select gy.* into g from public.gyms gy join public.gym_managers gm on gm.gym_id = gy.id
  where gy.slug = p_gym_slug and gm.user_id = p_user_id;
  if not found then
    perform jarvis_private.fail('JN404', 'gym_not_found', 'Salle introuvable.');
  end if;
  return g;
end
$$;

create function jarvis_private.check_key_hash(p_hash text)
  returns text
  language plpgsql immutable
  set search_path = ''
  as $$
begin
  if p_hash is null or p_hash !~ '^[0-9a-f]{64}$' then
    perform jarvis_private.fail('JI422', 'invalid_key_hash', 'Empreinte de clé invalide.');
  end if;
  return p_hash;
end
$$;

-- --- Kiosks (operators, through `python -m token_server kiosk …`) ------------------------------------------------

create function public.register_kiosk(p_gym_slug text, p_name text, p_key_hash text, p_key_prefix text)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym_by_slug(p_gym_slug);
  k kiosks;
begin
  insert into kiosks (gym_id, name, key_hash, key_prefix)
  values (g.id, jarvis_private.clean_text(p_name, 'Le nom de la borne', 80),
          jarvis_private.check_key_hash(p_key_hash), p_key_prefix)
  returning * into k;
  return jsonb_build_object('kiosk_id', k.id, 'gym_slug', g.slug, 'name', k.name, 'key_prefix', k.key_prefix,
                            'created_at', jarvis_private.iso(k.created_at));
end
$$;

create function public.rotate_kiosk_key(p_kiosk_id uuid, p_key_hash text, p_key_prefix text,
                                        p_grace_seconds integer default 0)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_grace integer := jarvis_private.check_range(p_grace_seconds, 'Le délai de grâce', 0, 7 * 86400);
  k kiosks;
begin
  update kiosks set previous_key_hash = case when v_grace > 0 then key_hash end,
                    previous_key_expires_at = case when v_grace > 0 then now() + make_interval(secs => v_grace) end,
                    key_hash = jarvis_private.check_key_hash(p_key_hash), key_prefix = p_key_prefix,
                    rotated_at = now()
  where id = p_kiosk_id and revoked_at is null
  returning * into k;
  if k.id is null then
    perform jarvis_private.fail('JN404', 'kiosk_not_found', 'Borne introuvable ou révoquée.');
  end if;
  return jsonb_build_object('kiosk_id', k.id, 'name', k.name, 'key_prefix', k.key_prefix,
                            'previous_key_expires_at', jarvis_private.iso(k.previous_key_expires_at));
end
$$;

create function public.revoke_kiosk(p_kiosk_id uuid)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  k kiosks;
begin
  update kiosks set revoked_at = coalesce(revoked_at, now()), previous_key_hash = null,
                    previous_key_expires_at = null
  where id = p_kiosk_id
  returning * into k;
  if k.id is null then
    perform jarvis_private.fail('JN404', 'kiosk_not_found', 'Borne introuvable.');
  end if;
  return jsonb_build_object('kiosk_id', k.id, 'name', k.name, 'revoked_at', jarvis_private.iso(k.revoked_at));
end
$$;

create function public.list_kiosks(p_gym_slug text)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym_by_slug(p_gym_slug);
begin
  return (select coalesce(jsonb_agg(jsonb_build_object(
                   'kiosk_id', k.id, 'name', k.name, 'key_prefix', k.key_prefix,
                   'created_at', jarvis_private.iso(k.created_at), 'rotated_at', jarvis_private.iso(k.rotated_at),
                   'revoked_at', jarvis_private.iso(k.revoked_at),
                   'last_session_at', jarvis_private.iso(k.last_session_at)) order by k.name), '[]'::jsonb)
          from kiosks k where k.gym_id = g.id);
end
$$;

-- Sessions opened by a kiosk that never reached the agent (the kiosk never joined the room): still "started" with
-- no transcript long after their token expired. Closed as failed/abandoned by the analytics sweeper, so the
-- dashboard does not count them as conversations in progress.
create function public.close_abandoned_sessions(p_after_seconds integer default 1800)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_after integer := jarvis_private.check_range(p_after_seconds, 'Le délai', 60, 7 * 86400);
  n integer;
begin
  update voice_sessions set status = 'failed', end_reason = 'abandoned', ended_at = now()
  where status = 'started' and transcript = '[]'::jsonb
    and started_at < now() - make_interval(secs => v_after);
  get diagnostics n = row_count;
  return jsonb_build_object('closed', n);
end
$$;

-- A kiosk opens a session for a scanned badge, in one round trip: the key is checked (null when unknown or revoked:
-- the caller answers 401 and learns nothing more), the badge resolved to an active member of the kiosk's gym (or a
-- visitor session, saying why), and the session row created as "started" so the dashboard sees it at once.
create function public.open_kiosk_session(p_key_hash text, p_session_id uuid, p_badge_id text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  k kiosks;
  g gyms;
  m gym_members;
  v_badge text := nullif(btrim(p_badge_id, E' \t\r\n'), '');
  v_visitor_reason text;
begin
  if p_session_id is null then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il manque l''identifiant de session.');
  end if;
  select * into k from kiosks
  where revoked_at is null
    and (key_hash = p_key_hash or (previous_key_hash = p_key_hash and previous_key_expires_at > now()));
  if k.id is null then
    return null;
  end if;
  select * into g from gyms where id = k.gym_id;
  if v_badge is null then
    v_visitor_reason := 'no_badge';
  elsif length(v_badge) > 64 then
    v_visitor_reason := 'unknown_badge';
  else
    select * into m from gym_members where gym_id = g.id and badge_id = v_badge;
    if m.id is null then
      v_visitor_reason := 'unknown_badge';
    elsif not m.is_active then
      v_visitor_reason := 'inactive_badge';
    end if;
  end if;
  insert into voice_sessions (id, gym_id, member_id, kiosk_id)
  values (p_session_id, g.id, case when v_visitor_reason is null then m.id end, k.id::text);
  update kiosks set last_session_at = now() where id = k.id;
  return jsonb_build_object('session_id', p_session_id, 'kiosk_id', k.id, 'gym_slug', g.slug,
                            'badge_id', case when v_visitor_reason is null then m.badge_id end,
                            'visitor', v_visitor_reason is not null, 'visitor_reason', v_visitor_reason);
end
$$;

-- --- The manager dashboard (read through the token server with a verified manager JWT) ---------------------------

-- The gyms a manager may open in the dashboard.
create function public.manager_gyms(p_user_id uuid)
  returns jsonb
  language sql stable
  set search_path = public, extensions, pg_temp
  as $$
  select coalesce(jsonb_agg(jsonb_build_object('gym_slug', g.slug, 'name', g.name, 'city', g.city,
                                               'timezone', g.timezone, 'role', gm.role,
                                               'manager_name', gm.full_name) order by g.name), '[]'::jsonb)
  from gym_managers gm join gyms g on g.id = gm.gym_id
  where gm.user_id = p_user_id
$$;

create function jarvis_private.page(p_items jsonb, p_total bigint, p_limit integer, p_offset integer)
  returns jsonb
  language sql immutable
  set search_path = ''
  as $$ select jsonb_build_object('items', coalesce(p_items, '[]'::jsonb), 'total', p_total, 'limit', p_limit,
                                  'offset', p_offset) $$;

create function public.dashboard_at_risk_members(p_user_id uuid, p_gym_slug text, p_min_level text default 'HIGH',
                                                 p_limit integer default 50, p_offset integer default 0)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.managed_gym(p_user_id, p_gym_slug);
  v_min text := upper(jarvis_private.check_enum(p_min_level, 'Le niveau', array['low', 'medium', 'high', 'critical']));
  v_levels text[] := (array['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'])[1:array_position(
                       array['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'], v_min)];
  n integer := jarvis_private.check_range(p_limit, 'La limite', 1, 500);
  v_offset integer := jarvis_private.check_range(p_offset, 'Le décalage', 0, 1000000);
  v_total bigint;
  v_items jsonb;
begin
  select count(*) into v_total from gym_members
  where gym_id = g.id and is_active and churn_level = any(v_levels);
  select jsonb_agg(jsonb_build_object(
           'member_id', m.id, 'first_name', m.first_name, 'last_name', m.last_name,
           'churn_score', m.churn_score, 'churn_level', m.churn_level, 'factors', coalesce(m.churn_factors, '[]'),
           'scored_at', jarvis_private.iso(m.churn_scored_at), 'model_version', m.churn_model_version,
           'contract_end', m.contract_end,
           'last_visit_at', jarvis_private.iso((select max(v.checked_in_at) from visit_history v
                                                where v.gym_id = g.id and v.member_id = m.id)))
         order by m.churn_score desc, m.id)
  into v_items
  from (select * from gym_members
        where gym_id = g.id and is_active and churn_level = any(v_levels)
        order by churn_score desc nulls last, id limit n offset v_offset) m;
  return jarvis_private.page(v_items, v_total, n, v_offset);
end
$$;

create function jarvis_private.mission_json(mi public.manager_missions)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select jsonb_build_object(
    'mission_id', mi.id, 'title', mi.title, 'description', mi.description, 'priority', mi.priority,
    'status', mi.status, 'due_date', mi.due_date, 'source', mi.source, 'session_id', mi.session_id,
    'member', (select jsonb_build_object('member_id', m.id, 'first_name', m.first_name, 'last_name', m.last_name)
               from public.gym_members m where m.gym_id = mi.gym_id and m.id = mi.member_id),
    'created_at', jarvis_private.iso(mi.created_at), 'updated_at', jarvis_private.iso(mi.updated_at))
$$;

create function public.dashboard_missions(p_user_id uuid, p_gym_slug text, p_status text default null,
                                          p_limit integer default 50, p_offset integer default 0)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.managed_gym(p_user_id, p_gym_slug);
  v_status text := jarvis_private.check_enum(p_status, 'Le statut', array['open', 'in_progress', 'done', 'cancelled'],
                                             false);
  n integer := jarvis_private.check_range(p_limit, 'La limite', 1, 500);
  v_offset integer := jarvis_private.check_range(p_offset, 'Le décalage', 0, 1000000);
  v_total bigint;
  v_items jsonb;
begin
  select count(*) into v_total from manager_missions
  where gym_id = g.id and (v_status is null or status = v_status);
  select jsonb_agg(jarvis_private.mission_json(p.mission) order by p.ord)
  into v_items
  from (select x as mission, row_number() over (
                 order by array_position(array['urgent', 'high', 'medium', 'low'], x.priority),
                          x.due_date nulls last, x.created_at desc, x.id) as ord
        from manager_missions x
        where x.gym_id = g.id and (v_status is null or x.status = v_status)
        order by ord limit n offset v_offset) p;
  return jarvis_private.page(v_items, v_total, n, v_offset);
end
$$;

create function public.dashboard_update_mission(p_user_id uuid, p_gym_slug text, p_mission_id uuid, p_status text)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.managed_gym(p_user_id, p_gym_slug);
  v_status text := jarvis_private.check_enum(p_status, 'Le statut', array['open', 'in_progress', 'done', 'cancelled']);
  mi manager_missions;
begin
  update manager_missions set status = v_status, updated_at = now()
  where id = p_mission_id and gym_id = g.id
  returning * into mi;
  if mi.id is null then
    perform jarvis_private.fail('JN404', 'mission_not_found', 'Mission introuvable.');
  end if;
  return jarvis_private.mission_json(mi);
end
$$;

create function jarvis_private.session_summary_json(s public.voice_sessions)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select jsonb_build_object(
    'session_id', s.id, 'kiosk_id', s.kiosk_id, 'status', s.status,
    'started_at', jarvis_private.iso(s.started_at), 'ended_at', jarvis_private.iso(s.ended_at),
    'end_reason', s.end_reason, 'summary', s.summary, 'sentiment_score', s.sentiment_score,
    'sentiment_label', s.sentiment_label, 'analytics_status', s.analytics_status,
    'turns', jsonb_array_length(s.transcript),
    'member', (select jsonb_build_object('member_id', m.id, 'first_name', m.first_name, 'last_name', m.last_name)
               from public.gym_members m where m.gym_id = s.gym_id and m.id = s.member_id))
$$;

create function public.dashboard_sessions(p_user_id uuid, p_gym_slug text, p_from timestamptz default null,
                                          p_to timestamptz default null, p_member_id uuid default null,
                                          p_sentiment text default null, p_status text default null,
                                          p_limit integer default 50, p_offset integer default 0)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.managed_gym(p_user_id, p_gym_slug);
  v_sentiment text := jarvis_private.check_enum(p_sentiment, 'Le sentiment', array['positive', 'neutral', 'negative'],
                                                false);
  v_status text := jarvis_private.check_enum(p_status, 'Le statut', array['started', 'ended', 'failed'], false);
  n integer := jarvis_private.check_range(p_limit, 'La limite', 1, 500);
  v_offset integer := jarvis_private.check_range(p_offset, 'Le décalage', 0, 1000000);
  v_total bigint;
  v_items jsonb;
begin
  select count(*) into v_total from voice_sessions s
  where s.gym_id = g.id and (p_from is null or s.started_at >= p_from) and (p_to is null or s.started_at < p_to)
    and (p_member_id is null or s.member_id = p_member_id) and (v_sentiment is null or s.sentiment_label = v_sentiment)
    and (v_status is null or s.status = v_status);
  select jsonb_agg(jarvis_private.session_summary_json(s) order by s.started_at desc, s.id)
  into v_items
  from (select * from voice_sessions s
        where s.gym_id = g.id and (p_from is null or s.started_at >= p_from) and (p_to is null or s.started_at < p_to)
          and (p_member_id is null or s.member_id = p_member_id)
          and (v_sentiment is null or s.sentiment_label = v_sentiment) and (v_status is null or s.status = v_status)
        order by s.started_at desc, s.id limit n offset v_offset) s;
  return jarvis_private.page(v_items, v_total, n, v_offset);
end
$$;

create function public.dashboard_session(p_user_id uuid, p_gym_slug text, p_session_id uuid)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.managed_gym(p_user_id, p_gym_slug);
  s voice_sessions;
begin
  select * into s from voice_sessions where id = p_session_id and gym_id = g.id;
  if s.id is null then
    perform jarvis_private.fail('JN404', 'session_not_found', 'Session introuvable.');
  end if;
  return jarvis_private.session_summary_json(s) || jsonb_build_object(
    'transcript', s.transcript, 'analytics', s.analytics,
    'tool_calls', coalesce((select jsonb_agg(jsonb_build_object(
                              'seq', i.seq, 'tool', i.tool_name, 'arguments', i.arguments, 'result', i.result,
                              'error', i.error, 'latency_ms', i.latency_ms) order by i.seq)
                            from jarvis_interactions i where i.session_id = s.id and i.gym_id = g.id), '[]'::jsonb));
end
$$;

-- Days are the gym's local days; latency percentiles are the per-turn end-to-end latencies the agent recorded.
create function public.dashboard_stats(p_user_id uuid, p_gym_slug text, p_days integer default 30)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.managed_gym(p_user_id, p_gym_slug);
  v_days integer := jarvis_private.check_range(p_days, 'La période', 1, 366);
  v_today date := jarvis_private.local_today(g.timezone);
  v_since timestamptz := ((v_today - (v_days - 1))::timestamp at time zone g.timezone);
begin
  return jsonb_build_object(
    'days', v_days, 'from', v_today - (v_days - 1), 'to', v_today,
    'sessions_per_day', (
      select jsonb_agg(jsonb_build_object('day', d.day, 'sessions', coalesce(x.n, 0),
                                          'sentiment', x.sentiment) order by d.day)
      from (select v_today - i as day from generate_series(0, v_days - 1) as i) d
      left join (select (s.started_at at time zone g.timezone)::date as day, count(*) as n,
                        round(avg(s.sentiment_score)::numeric, 3) as sentiment
                 from voice_sessions s where s.gym_id = g.id and s.started_at >= v_since
                 group by 1) x on x.day = d.day),
    'churn_levels', (
      select jsonb_build_object('LOW', count(*) filter (where churn_level = 'LOW'),
                                'MEDIUM', count(*) filter (where churn_level = 'MEDIUM'),
                                'HIGH', count(*) filter (where churn_level = 'HIGH'),
                                'CRITICAL', count(*) filter (where churn_level = 'CRITICAL'),
                                'unscored', count(*) filter (where churn_level is null))
      from gym_members where gym_id = g.id and is_active),
    'tool_usage', coalesce((
      select jsonb_agg(jsonb_build_object('tool', t.tool_name, 'calls', t.calls, 'errors', t.errors,
                                          'p50_ms', t.p50) order by t.calls desc, t.tool_name)
      from (select i.tool_name, count(*) as calls, count(*) filter (where i.error is not null) as errors,
                   round(percentile_cont(0.5) within group (order by i.latency_ms)::numeric, 1) as p50
            from jarvis_interactions i where i.gym_id = g.id and i.created_at >= v_since
            group by i.tool_name) t), '[]'::jsonb),
    'turn_latency_ms', (
      select jsonb_build_object(
        'turns', count(*),
        'p50', round((percentile_cont(0.5) within group (order by l.e2e) * 1000)::numeric),
        'p90', round((percentile_cont(0.9) within group (order by l.e2e) * 1000)::numeric),
        'p95', round((percentile_cont(0.95) within group (order by l.e2e) * 1000)::numeric),
        'p99', round((percentile_cont(0.99) within group (order by l.e2e) * 1000)::numeric))
      from (select (t -> 'metrics' ->> 'e2e_latency')::double precision as e2e
            from voice_sessions s, jsonb_array_elements(s.transcript) t
            where s.gym_id = g.id and s.started_at >= v_since
              and jsonb_typeof(t -> 'metrics' -> 'e2e_latency') = 'number') l));
end
$$;

call jarvis_private.lock_down_api();
