-- Data API, session side: the context a kiosk session starts with (Layer 1), the persistence of a finished session
-- (transcript, per-turn metrics, tool calls) and the analytics write-backs (Layer 3).

-- The active member holding this badge in this gym, or a typed error (unknown badge, inactive member).
create function public.member_by_badge(p_gym_id uuid, p_badge_id text)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_badge text := jarvis_private.clean_text(p_badge_id, 'le badge', 64);
  m gym_members;
begin
  select * into m from gym_members where gym_id = g.id and badge_id = v_badge;
  if not found then
    perform jarvis_private.fail('JN404', 'badge_unknown', 'Je ne reconnais pas ce badge.');
  end if;
  if not m.is_active then
    perform jarvis_private.fail('JN404', 'member_inactive', 'Cet abonnement n''est plus actif.');
  end if;
  return jsonb_build_object('member_id', m.id, 'first_name', m.first_name);
end
$$;

-- What the agent needs to greet and personalise a session: gym, member (active only), preferred coach, local date
-- and time. An unknown, inactive or absent badge gives visitor mode (member null and member_status saying why)
-- rather than an error: the kiosk must still answer about the gym. The last sessions are a separate, optional
-- source (get_session_history) so that a slow history never delays the greeting.
create function public.session_context(p_gym_slug text, p_badge_id text default null)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_slug text := lower(jarvis_private.clean_text(p_gym_slug, 'la salle', 64));
  v_badge text := jarvis_private.clean_text(p_badge_id, 'le badge', 64, false);
  g gyms;
  m gym_members;
  v_status text;
  v_now timestamp;
begin
  select * into g from gyms where slug = v_slug;
  if not found then
    perform jarvis_private.fail('JN404', 'gym_not_found', 'Je ne trouve pas cette salle.');
  end if;
  v_now := now() at time zone g.timezone;
  if v_badge is null then
    v_status := 'visitor';
  else
    select * into m from gym_members where gym_id = g.id and badge_id = v_badge;
    v_status := case when not found then 'unknown_badge' when not m.is_active then 'inactive' else 'active' end;
  end if;
  return jsonb_build_object(
    'gym', jsonb_build_object(
      'id', g.id, 'slug', g.slug, 'name', g.name, 'address', g.address, 'postal_code', g.postal_code,
      'city', g.city, 'timezone', g.timezone, 'latitude', g.latitude, 'longitude', g.longitude,
      'phone', g.phone, 'opening_hours', jarvis_private.opening_hours(g), 'open_now', jarvis_private.open_now(g),
      'amenities', to_jsonb(g.amenities), 'occupancy', jarvis_private.occupancy(g)),
    'now', jsonb_build_object('date', to_char(v_now, 'YYYY-MM-DD'), 'time', to_char(v_now, 'HH24:MI'),
                              'weekday', jarvis_private.weekday_fr(extract(isodow from v_now)::integer)),
    'member_status', v_status,
    'member', case when v_status <> 'active' then null else jsonb_build_object(
      'id', m.id, 'first_name', m.first_name, 'last_name', m.last_name,
      'age', extract(year from age(v_now::date, m.birth_date))::integer,
      'goal', m.goal, 'goal_note', m.goal_note, 'level', m.level, 'member_since', m.joined_at,
      'contract', jsonb_build_object('period_months', m.contract_period_months, 'end', m.contract_end,
                                     'days_left', m.contract_end - v_now::date),
      'churn', case when m.churn_score is null then null
                    else jsonb_build_object('score', round(m.churn_score::numeric, 2), 'level', m.churn_level) end,
      'visits', jarvis_private.visit_stats(m.id, m.joined_at, g.timezone)) end,
    'coach', case when v_status <> 'active' then null else (
      select jsonb_build_object('first_name', c.first_name, 'last_name', c.last_name,
                                'specialties', to_jsonb(c.specialties))
      from coaches c where c.id = m.preferred_coach_id and c.is_active) end);
end
$$;

-- The member's last finished kiosk sessions, newest first: summary and sentiment.
create function public.get_session_history(p_gym_id uuid, p_member_id uuid, p_limit integer default 5)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  n integer := jarvis_private.check_range(p_limit, 'Le nombre de sessions', 1, 20);
begin
  return jsonb_build_object('sessions', coalesce((
    select jsonb_agg(jsonb_build_object('date', to_char(s.started_at at time zone g.timezone, 'YYYY-MM-DD'),
                                        'summary', s.summary, 'sentiment', s.sentiment_label,
                                        'sentiment_score', s.sentiment_score) order by s.started_at desc)
    from (select * from voice_sessions s
          where s.member_id = m.id and s.status = 'ended'
          order by s.started_at desc limit n) s), '[]'));
end
$$;

-- Create the session row when the kiosk session starts (token server or agent). Idempotent on the session id.
create function public.start_voice_session(p_session_id uuid, p_gym_id uuid, p_member_id uuid default null,
                                           p_kiosk_id text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_kiosk text := jarvis_private.clean_text(p_kiosk_id, 'l''identifiant de borne', 128, false);
  s voice_sessions;
begin
  if p_session_id is null then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il manque l''identifiant de session.');
  end if;
  if p_member_id is not null then
    perform jarvis_private.active_member(g.id, p_member_id);
  end if;
  insert into voice_sessions (id, gym_id, member_id, kiosk_id) values (p_session_id, g.id, p_member_id, v_kiosk)
    on conflict (id) do nothing;
  select * into s from voice_sessions where id = p_session_id;
  if s.gym_id <> g.id then
    perform jarvis_private.fail('JC409', 'session_conflict', 'Cette session appartient à une autre salle.');
  end if;
  return jsonb_build_object('session_id', s.id, 'status', s.status,
                            'started_at', jarvis_private.iso(s.started_at));
end
$$;

-- Persist a finished session in one transaction: the session row (transcript, metrics, summary) and its tool calls.
-- Safe to replay (the agent's spool replays after a database outage): the row is updated, tool calls are keyed by
-- (session, seq), and a session whose analytics already ran is not sent back to the queue.
create function public.persist_voice_session(p_session jsonb)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_id uuid;
  g gyms;
  v_member uuid;
  v_status text := coalesce(p_session ->> 'status', 'ended');
  v_transcript jsonb := coalesce(p_session -> 'transcript', '[]');
  v_metrics jsonb := coalesce(p_session -> 'metrics', '{}');
  v_interactions jsonb := coalesce(p_session -> 'interactions', '[]');
  s voice_sessions;
  n integer;
begin
  if p_session is null or jsonb_typeof(p_session) <> 'object' then
    perform jarvis_private.fail('JI422', 'invalid_session', 'La session doit être un objet JSON.');
  end if;
  if octet_length(p_session::text) > 8 * 1024 * 1024 then
    perform jarvis_private.fail('JI422', 'too_large', 'La session dépasse 8 Mo.');
  end if;
  if jsonb_typeof(v_transcript) <> 'array' or jsonb_typeof(v_metrics) <> 'object'
     or jsonb_typeof(v_interactions) <> 'array' then
    perform jarvis_private.fail('JI422', 'invalid_session',
      'transcript et interactions doivent être des listes, metrics un objet.');
  end if;
  if v_status not in ('ended', 'failed') then
    perform jarvis_private.fail('JI422', 'invalid_choice', 'Le statut doit être ended ou failed.');
  end if;
  begin
    v_id := (p_session ->> 'id')::uuid;
    g := jarvis_private.gym((p_session ->> 'gym_id')::uuid);
    v_member := (p_session ->> 'member_id')::uuid;
  exception when invalid_text_representation then
    perform jarvis_private.fail('JI422', 'invalid_session', 'Identifiant de session, de salle ou de membre invalide.');
  end;
  if v_id is null then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il manque l''identifiant de session.');
  end if;
  if v_member is not null then
    perform jarvis_private.member_of_gym(g.id, v_member);
  end if;
  insert into voice_sessions as vs (id, gym_id, member_id, kiosk_id, status, started_at, ended_at, end_reason,
                                    transcript, metrics, summary, analytics_status, analytics_updated_at)
    values (v_id, g.id, v_member,
            jarvis_private.clean_text(p_session ->> 'kiosk_id', 'l''identifiant de borne', 128, false),
            v_status,
            coalesce((p_session ->> 'started_at')::timestamptz, now()),
            coalesce((p_session ->> 'ended_at')::timestamptz, now()),
            jarvis_private.clean_text(p_session ->> 'end_reason', 'la raison de fin', 80, false),
            v_transcript, v_metrics,
            jarvis_private.clean_text(p_session ->> 'summary', 'le résumé', 2000, false),
            'pending', now())
    on conflict (id) do update
      set member_id = coalesce(excluded.member_id, vs.member_id),
          kiosk_id = coalesce(excluded.kiosk_id, vs.kiosk_id),
          status = excluded.status,
          ended_at = excluded.ended_at,
          end_reason = excluded.end_reason,
          transcript = excluded.transcript,
          metrics = excluded.metrics,
          summary = coalesce(excluded.summary, vs.summary),
          analytics_status = case when vs.analytics_status = 'none' then 'pending' else vs.analytics_status end,
          analytics_updated_at = case when vs.analytics_status = 'none' then now() else vs.analytics_updated_at end
      where vs.gym_id = excluded.gym_id
    returning * into s;
  if s.id is null then
    perform jarvis_private.fail('JC409', 'session_conflict', 'Cette session appartient à une autre salle.');
  end if;
  insert into jarvis_interactions (gym_id, session_id, seq, tool_name, arguments, result, error, latency_ms, created_at)
  select g.id, v_id, (i ->> 'seq')::integer, i ->> 'tool_name', coalesce(i -> 'arguments', '{}'),
         i ->> 'result', i ->> 'error', (i ->> 'latency_ms')::real,
         coalesce((i ->> 'created_at')::timestamptz, now())
  from jsonb_array_elements(v_interactions) i
  on conflict (session_id, seq) do nothing;
  get diagnostics n = row_count;
  return jsonb_build_object('session_id', s.id, 'status', s.status, 'analytics_status', s.analytics_status,
                            'interactions_written', n);
end
$$;

-- The analytics pipeline of a session: none -> pending (persisted) -> queued (job enqueued) -> processing -> done,
-- with failed (retryable), skipped (nothing to analyse) and back to pending (the enqueue failed). done and skipped
-- are final: a late or duplicate worker cannot move a finished session backwards.
create function jarvis_private.analytics_transition_allowed(p_from text, p_to text)
  returns boolean
  language sql immutable parallel safe
  set search_path = ''
  as $$
  select p_to = any (case p_from
    when 'none' then array['pending']
    when 'pending' then array['queued', 'processing', 'failed', 'skipped']
    when 'queued' then array['pending', 'queued', 'processing', 'failed', 'skipped']
    when 'processing' then array['pending', 'queued', 'processing', 'failed', 'skipped']
    when 'failed' then array['pending', 'queued', 'processing', 'failed']
    else array[]::text[] end)
$$;

create function public.mark_session_analytics(p_session_id uuid, p_status text, p_error text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_status text := jarvis_private.check_enum(p_status, 'Le statut',
    array['pending', 'queued', 'processing', 'failed', 'skipped']);
  s voice_sessions;
begin
  select * into s from voice_sessions where id = p_session_id for no key update;
  if s.id is null then
    perform jarvis_private.fail('JN404', 'session_not_found', 'Session introuvable.');
  end if;
  if not jarvis_private.analytics_transition_allowed(s.analytics_status, v_status) then
    perform jarvis_private.fail('JC409', 'invalid_transition',
      format('Une session %s ne peut pas passer à %s.', s.analytics_status, v_status));
  end if;
  update voice_sessions
    set analytics_status = v_status, analytics_updated_at = now(),
        analytics_error = left(jarvis_private.clean_text(p_error, 'l''erreur', 100000, false), 2000)
    where id = p_session_id
    returning * into s;
  return jsonb_build_object('session_id', s.id, 'analytics_status', s.analytics_status);
end
$$;

-- The sweeper's atomic claim: sessions left pending, and queued or processing ones stuck longer than
-- p_stale_seconds (a lost job, a worker killed mid-job), move to queued and are returned for enqueueing. Concurrent
-- sweepers never claim the same session (SKIP LOCKED); if the enqueue fails the caller marks them pending again.
create function public.claim_pending_sessions(p_limit integer default 100, p_stale_seconds integer default 600)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  n integer := jarvis_private.check_range(p_limit, 'La limite', 1, 10000);
  v_stale integer := jarvis_private.check_range(p_stale_seconds, 'Le délai', 0, 7 * 86400);
  claimed jsonb;
begin
  with c as (
    update voice_sessions s set analytics_status = 'queued', analytics_updated_at = now()
    where s.id in (
      select x.id from voice_sessions x
      where x.analytics_status = 'pending'
         or (x.analytics_status in ('queued', 'processing')
             and x.analytics_updated_at < now() - make_interval(secs => v_stale))
      order by x.analytics_updated_at
      limit n
      for no key update skip locked)
    returning s.id, s.gym_id)
  select jsonb_agg(jsonb_build_object('session_id', c.id, 'gym_id', c.gym_id)) into claimed from c;
  return jsonb_build_object('sessions', coalesce(claimed, '[]'));
end
$$;

create function public.save_session_analytics(p_session_id uuid, p_analytics jsonb, p_sentiment_score real default null,
                                              p_sentiment_label text default null, p_summary text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_label text := jarvis_private.check_enum(p_sentiment_label, 'Le sentiment', array['positive', 'neutral', 'negative'],
                                           false);
  s voice_sessions;
begin
  if p_analytics is null or jsonb_typeof(p_analytics) <> 'object' then
    perform jarvis_private.fail('JI422', 'invalid_analytics', 'Les analyses doivent être un objet JSON.');
  end if;
  if p_sentiment_score is not null and (p_sentiment_score < -1 or p_sentiment_score > 1) then
    perform jarvis_private.fail('JI422', 'out_of_range', 'Le score de sentiment doit être entre -1 et 1.');
  end if;
  update voice_sessions
    set analytics = p_analytics, sentiment_score = p_sentiment_score, sentiment_label = v_label,
        summary = coalesce(jarvis_private.clean_text(p_summary, 'le résumé', 2000, false), summary),
        analytics_status = 'done', analytics_error = null, analytics_updated_at = now()
    where id = p_session_id
    returning * into s;
  if s.id is null then
    perform jarvis_private.fail('JN404', 'session_not_found', 'Session introuvable.');
  end if;
  return jsonb_build_object('session_id', s.id, 'analytics_status', s.analytics_status);
end
$$;

-- Write churn scores for many members of one gym at once:
-- p_scores = [{"member_id", "score" (0-1), "level" (LOW|MEDIUM|HIGH|CRITICAL), "factors": [...]}].
create function public.set_member_churn(p_gym_id uuid, p_scores jsonb, p_model_version text)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_version text := jarvis_private.clean_text(p_model_version, 'la version du modèle', 80);
  n integer;
  v_bad integer;
  v_unknown integer;
begin
  if p_scores is null or jsonb_typeof(p_scores) <> 'array' then
    perform jarvis_private.fail('JI422', 'invalid_scores', 'Les scores doivent être une liste.');
  end if;
  begin
    select count(*) filter (where member_id is null or score is null or score < 0 or score > 1
                                  or level is null or level not in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
           count(*) filter (where member_id is not null
                                  and not exists (select 1 from gym_members m where m.id = c.member_id and m.gym_id = g.id))
      into v_bad, v_unknown
      from jsonb_to_recordset(p_scores) as c(member_id uuid, score real, level text, factors jsonb);
  exception when invalid_text_representation or invalid_parameter_value or numeric_value_out_of_range then
    perform jarvis_private.fail('JI422', 'invalid_scores', 'Identifiant de membre ou score invalide.');
  end;
  if v_bad > 0 then
    perform jarvis_private.fail('JI422', 'invalid_scores',
      format('%s score(s) invalide(s) : score entre 0 et 1 et niveau LOW, MEDIUM, HIGH ou CRITICAL.', v_bad));
  end if;
  if v_unknown > 0 then
    perform jarvis_private.fail('JN404', 'member_not_found', format('%s membre(s) inconnu(s) dans cette salle.', v_unknown));
  end if;
  update gym_members m
    set churn_score = c.score, churn_level = c.level, churn_factors = coalesce(c.factors, '[]'),
        churn_scored_at = now(), churn_model_version = v_version
    from jsonb_to_recordset(p_scores) as c(member_id uuid, score real, level text, factors jsonb)
    where m.id = c.member_id and m.gym_id = g.id;
  get diagnostics n = row_count;
  return jsonb_build_object('updated', n, 'model_version', v_version);
end
$$;

call jarvis_private.lock_down_api();
