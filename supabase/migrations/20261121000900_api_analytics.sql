-- Layer 3 reads: the churn features of a gym's active members (one set-based query, for batch scoring and for one
-- member after a session), and a finished session as the analytics job needs it.

-- A gym's visits of the last year, per member, read from the index alone (batch churn scoring).
drop index public.visit_history_gym_time_idx;
create index visit_history_gym_time_idx on public.visit_history (gym_id, checked_in_at desc) include (member_id);

create function public.member_churn_features(p_gym_id uuid, p_member_id uuid default null)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_today date := (now() at time zone g.timezone)::date;
  result jsonb;
begin
  with members as (
    select m.* from gym_members m
    where m.gym_id = g.id and m.is_active and (p_member_id is null or m.id = p_member_id)
  ), visits as (
    select v.member_id,
           count(*) filter (where v.checked_in_at >= now() - interval '365 days') as last_year,
           count(*) filter (where v.checked_in_at >= now() - interval '30 days') as last_30,
           max(v.checked_in_at) as last_visit
    from visit_history v
    where v.gym_id = g.id and v.checked_in_at >= now() - interval '365 days'
      and (p_member_id is null or v.member_id = p_member_id)
    group by v.member_id
  ), classes as (
    select e.member_id, count(*) as n
    from class_enrollments e join group_classes c on c.id = e.class_id
    where e.gym_id = g.id and e.status in ('enrolled', 'attended') and c.starts_at >= now() - interval '90 days'
      and c.starts_at < now() and (p_member_id is null or e.member_id = p_member_id)
    group by e.member_id
  ), sentiment as (
    select s.member_id, avg(s.sentiment_score) as mean_score
    from (select vs.member_id, vs.sentiment_score,
                 row_number() over (partition by vs.member_id order by vs.started_at desc) as rn
          from voice_sessions vs
          where vs.gym_id = g.id and vs.sentiment_score is not null and vs.member_id is not null
            and (p_member_id is null or vs.member_id = p_member_id)) s
    where s.rn <= 5
    group by s.member_id
  ), feedback as (
    select f.member_id, count(*) as n
    from member_feedback f
    where f.gym_id = g.id and f.sentiment = 'negative' and f.created_at >= now() - interval '90 days'
      and (p_member_id is null or f.member_id = p_member_id)
    group by f.member_id
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'member_id', m.id,
      'contract_period', m.contract_period_months,
      'months_to_end_contract', greatest(0, ceil((m.contract_end - v_today) / 30.44)),
      'months_since_joining', greatest(0, floor((v_today - m.joined_at) / 30.44)),
      'visits_per_week', round((coalesce(v.last_year, 0)
                                / greatest(1.0, least(52.14, (v_today - m.joined_at) / 7.0)))::numeric, 3),
      'visits_per_week_30d', round((coalesce(v.last_30, 0) / (30 / 7.0))::numeric, 3),
      'days_since_last_visit', v_today - (coalesce(v.last_visit, lv.last_visit) at time zone g.timezone)::date,
      'group_participation', (coalesce(c.n, 0) > 0)::int,
      'age', extract(year from age(v_today, m.birth_date))::int,
      'mean_sentiment', round(s.mean_score::numeric, 3),
      'negative_feedback', coalesce(f.n, 0)) order by m.id), '[]')
    into result
  from members m
  left join visits v on v.member_id = m.id
  left join lateral (  -- no visit in the last year: the last one ever, one index probe per such member
    select max(x.checked_in_at) as last_visit from visit_history x
    where v.member_id is null and x.member_id = m.id) lv on true
  left join classes c on c.member_id = m.id
  left join sentiment s on s.member_id = m.id
  left join feedback f on f.member_id = m.id;
  return jsonb_build_object('gym_id', g.id, 'as_of', v_today, 'members', result);
end
$$;

-- Training rows from a gym's own history: on each of the last p_months monthly snapshot dates T, every member
-- active at T with the features as they were at T, labelled 1 if the member left within the 30 days after T.
create function public.member_churn_snapshots(p_gym_id uuid, p_months integer default 12)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_months integer := jarvis_private.check_range(p_months, 'Le nombre de mois', 1, 36);
  v_today date := (now() at time zone g.timezone)::date;
  result jsonb;
begin
  with snapshots as (
    select (v_today - 30 * k)::date as t from generate_series(1, v_months) k
  ), pairs as (
    select s.t, m.* from snapshots s
    join gym_members m on m.gym_id = g.id and m.joined_at <= s.t and (m.left_at is null or m.left_at > s.t)
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'snapshot', p.t,
      'contract_period', p.contract_period_months,
      'months_to_end_contract', greatest(0, ceil((p.contract_end - p.t) / 30.44)),
      'months_since_joining', greatest(0, floor((p.t - p.joined_at) / 30.44)),
      'visits_per_week', round((v.last_year / greatest(1.0, least(52.14, (p.t - p.joined_at) / 7.0)))::numeric, 3),
      'visits_per_week_30d', round((v.last_30 / (30 / 7.0))::numeric, 3),
      'days_since_last_visit', p.t - (v.last_visit at time zone g.timezone)::date,
      'group_participation', (coalesce(c.n, 0) > 0)::int,
      'age', extract(year from age(p.t, p.birth_date))::int,
      'mean_sentiment', round(se.mean_score::numeric, 3),
      'negative_feedback', coalesce(f.n, 0),
      'churned', (p.left_at is not null and p.left_at <= p.t + 30)::int)), '[]')
    into result
  from pairs p
  cross join lateral (
    select count(*) as last_year,
           count(*) filter (where x.checked_in_at >= (p.t - 30)::timestamp at time zone g.timezone) as last_30,
           max(x.checked_in_at) as last_visit
    from visit_history x
    where x.member_id = p.id and x.checked_in_at < p.t::timestamp at time zone g.timezone
      and x.checked_in_at >= (p.t - 365)::timestamp at time zone g.timezone) v
  left join lateral (
    select count(*) as n from class_enrollments e join group_classes gc on gc.id = e.class_id
    where e.member_id = p.id and e.status in ('enrolled', 'attended')
      and gc.starts_at < p.t::timestamp at time zone g.timezone
      and gc.starts_at >= (p.t - 90)::timestamp at time zone g.timezone) c on true
  left join lateral (
    select avg(z.sentiment_score) as mean_score from (
      select vs.sentiment_score from voice_sessions vs
      where vs.member_id = p.id and vs.sentiment_score is not null
        and vs.started_at < p.t::timestamp at time zone g.timezone
      order by vs.started_at desc limit 5) z) se on true
  left join lateral (
    select count(*) as n from member_feedback fb
    where fb.member_id = p.id and fb.sentiment = 'negative'
      and fb.created_at < p.t::timestamp at time zone g.timezone
      and fb.created_at >= (p.t - 90)::timestamp at time zone g.timezone) f on true;
  return jsonb_build_object('gym_id', g.id, 'as_of', v_today, 'months', v_months, 'rows', result);
end
$$;

-- A finished session as the analytics job reads it: who, when, the transcript and where its pipeline stands.
create function public.session_for_analytics(p_session_id uuid)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  s voice_sessions;
  m gym_members;
  g gyms;
begin
  select * into s from voice_sessions where id = p_session_id;
  if s.id is null then
    perform jarvis_private.fail('JN404', 'session_not_found', 'Session introuvable.');
  end if;
  select * into m from gym_members where id = s.member_id and gym_id = s.gym_id;
  select * into g from gyms where id = s.gym_id;
  return jsonb_build_object('session_id', s.id, 'gym_id', s.gym_id, 'member_id', s.member_id, 'status', s.status,
                            'gym_timezone', g.timezone, 'gym_slug', g.slug,
                            'member', case when m.id is null then null else jsonb_build_object(
                              'first_name', m.first_name, 'last_name', m.last_name, 'churn_level', m.churn_level)
                            end,
                            'started_at', jarvis_private.iso(s.started_at), 'ended_at', jarvis_private.iso(s.ended_at),
                            'end_reason', s.end_reason, 'transcript', s.transcript,
                            'analytics_status', s.analytics_status, 'analytics', s.analytics);
end
$$;

call jarvis_private.lock_down_api();
