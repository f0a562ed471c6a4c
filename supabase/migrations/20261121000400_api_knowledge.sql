-- Data API, knowledge side: one function per read of the V3 knowledge tools. Every function takes the gym (and
-- member) chosen by the caller from the session and returns jsonb facts; errors follow jarvis_private.fail.

-- Visit figures of one member, shared by get_member_stats and session_context.
create function jarvis_private.visit_stats(p_member_id uuid, p_joined date, p_tz text)
  returns jsonb
  language plpgsql stable
  set search_path = ''
  as $$
declare
  v_12m integer;
  v_90 integer;
  v_30 integer;
  v_7 integer;
  v_last timestamptz;
  v_weeks numeric;
  v_streak integer := 0;
  v_week date;
  v_expected date := date_trunc('week', now() at time zone p_tz)::date;
begin
  select count(*),
         count(*) filter (where checked_in_at >= now() - interval '90 days'),
         count(*) filter (where checked_in_at >= now() - interval '30 days'),
         count(*) filter (where checked_in_at >= now() - interval '7 days'),
         max(checked_in_at)
    into v_12m, v_90, v_30, v_7, v_last
    from public.visit_history
    where member_id = p_member_id and checked_in_at >= now() - interval '365 days';
  v_weeks := greatest(1, (jarvis_private.local_today(p_tz) - greatest(p_joined, jarvis_private.local_today(p_tz) - 365))
                         / 7.0);
  -- Streak: consecutive weeks with a visit, counting back from this week (or last week if none yet this week).
  for v_week in
    select distinct date_trunc('week', checked_in_at at time zone p_tz)::date as w
    from public.visit_history
    where member_id = p_member_id and checked_in_at >= now() - interval '365 days'
    order by w desc
  loop
    if v_week = v_expected then
      v_streak := v_streak + 1;
      v_expected := v_expected - 7;
    elsif v_streak = 0 and v_week = v_expected - 7 then
      v_streak := 1;
      v_expected := v_week - 7;
    else
      exit;
    end if;
  end loop;
  return jsonb_build_object(
    'last_12_months', v_12m,
    'last_90_days', v_90,
    'last_30_days', v_30,
    'last_7_days', v_7,
    'per_week_last_30_days', round(v_30 / (30 / 7.0), 1),
    'per_week_12_months', round(v_12m / v_weeks, 1),
    'last_visit', case when v_last is null then null else jarvis_private.local_when(v_last, p_tz) end,
    'days_since_last_visit', case when v_last is null then null
                                  else jarvis_private.local_today(p_tz) - (v_last at time zone p_tz)::date end,
    'streak_weeks', v_streak);
end
$$;

create function jarvis_private.booking_json(b public.bookings, p_tz text)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select jsonb_build_object('booking_id', b.id, 'kind', b.kind, 'title', b.title, 'status', b.status,
                            'when', jarvis_private.local_when(b.starts_at, p_tz),
                            'duration_minutes', (extract(epoch from b.ends_at - b.starts_at) / 60)::integer)
$$;

create function public.list_member_bookings(p_gym_id uuid, p_member_id uuid, p_limit integer default 10)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  n integer := jarvis_private.check_range(p_limit, 'Le nombre de réservations', 1, 50);
begin
  return jsonb_build_object('bookings', coalesce((
    select jsonb_agg(jarvis_private.booking_json(b, g.timezone) order by b.starts_at)
    from (select * from bookings
          where member_id = m.id and gym_id = g.id and status = 'booked' and starts_at > now()
          order by starts_at limit n) b), '[]'));
end
$$;

create function public.get_member_stats(p_gym_id uuid, p_member_id uuid)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  v_today date := jarvis_private.local_today(g.timezone);
begin
  return jsonb_build_object(
    'member', jsonb_build_object(
      'first_name', m.first_name, 'goal', m.goal, 'goal_note', m.goal_note, 'level', m.level,
      'member_since', m.joined_at,
      'months_since_joining', (extract(year from age(v_today, m.joined_at)) * 12
                               + extract(month from age(v_today, m.joined_at)))::integer),
    'contract', jsonb_build_object(
      'period_months', m.contract_period_months, 'start', m.contract_start, 'end', m.contract_end,
      'days_left', m.contract_end - v_today),
    'visits', jarvis_private.visit_stats(m.id, m.joined_at, g.timezone),
    'group_classes_last_90_days', (
      select count(*) from class_enrollments e join group_classes c on c.id = e.class_id
      where e.member_id = m.id and e.status = 'attended' and c.starts_at >= now() - interval '90 days'),
    'upcoming_bookings', public.list_member_bookings(p_gym_id, p_member_id, 3) -> 'bookings');
end
$$;

create function jarvis_private.class_json(c public.group_classes, p_tz text)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select jsonb_build_object(
    'class_id', c.id, 'name', c.name, 'category', c.category, 'level', c.level, 'room', c.room,
    'coach', (select co.first_name || ' ' || co.last_name from public.coaches co where co.id = c.coach_id),
    'when', jarvis_private.local_when(c.starts_at, p_tz), 'duration_minutes', c.duration_minutes,
    'capacity', c.capacity, 'spots_left', greatest(0, c.capacity - jarvis_private.class_taken(c.id)),
    'status', c.status)
$$;

create function public.get_weekly_schedule(p_gym_id uuid, p_from date default null, p_days integer default 7,
                                           p_category text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_today date := jarvis_private.local_today(g.timezone);
  v_from date := coalesce(p_from, v_today);
  v_days integer := jarvis_private.check_range(p_days, 'Le nombre de jours', 1, 14);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_category, 'le type de cours', 80, false));
begin
  if v_from < v_today then
    perform jarvis_private.fail('JI422', 'past_date', 'Cette date est déjà passée.');
  end if;
  if v_from > ((now() + jarvis_private.booking_horizon()) at time zone g.timezone)::date then
    perform jarvis_private.fail('JI422', 'too_far', 'Le planning n''est pas encore connu aussi loin.');
  end if;
  perform jarvis_private.ensure_classes(g.id, v_from + v_days);
  return jsonb_build_object(
    'from', v_from, 'to', least(v_from + v_days - 1, ((now() + jarvis_private.booking_horizon()) at time zone g.timezone)::date),
    'classes', coalesce((
      select jsonb_agg(jarvis_private.class_json(c, g.timezone) order by c.starts_at)
      from (select * from group_classes c
            where c.gym_id = g.id and c.status = 'scheduled'
              and c.starts_at >= greatest(now(), v_from::timestamp at time zone g.timezone)
              and c.starts_at < (v_from + v_days)::timestamp at time zone g.timezone
              and c.starts_at <= now() + jarvis_private.booking_horizon()
              and (q is null or jarvis_private.norm(c.name) like jarvis_private.contains(q)
                   or jarvis_private.norm(c.category) like jarvis_private.contains(q))
            order by c.starts_at limit 80) c), '[]'));
end
$$;

create function jarvis_private.occupancy(g public.gyms)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select jsonb_build_object(
    'current', n, 'max', g.max_occupancy,
    'level', case when g.max_occupancy is null then null
                  when n < g.max_occupancy * 0.35 then 'calme'
                  when n < g.max_occupancy * 0.7 then 'moderee'
                  else 'forte' end)
  from (select count(*)::integer as n from public.visit_history
        where gym_id = g.id and checked_in_at > now() - interval '3 hours' and checked_in_at <= now()
          and (checked_out_at is null or checked_out_at > now())) s
$$;

-- Opening hours in week order: [{"weekday": "lundi", "open": "06:00", "close": "23:00"}, …]; closed days omitted.
create function jarvis_private.opening_hours(g public.gyms)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select coalesce(jsonb_agg(jsonb_build_object('weekday', jarvis_private.weekday_fr(k::integer),
                                               'open', v ->> 0, 'close', v ->> 1) order by k::integer), '[]')
  from jsonb_each(g.opening_hours) as h(k, v)
$$;

create function public.get_gym_info(p_gym_id uuid)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
begin
  return jsonb_build_object(
    'name', g.name, 'address', g.address, 'postal_code', g.postal_code, 'city', g.city,
    'phone', g.phone, 'email', g.email, 'timezone', g.timezone,
    'opening_hours', jarvis_private.opening_hours(g),
    'open_now', jarvis_private.open_now(g),
    'amenities', to_jsonb(g.amenities),
    'occupancy', jarvis_private.occupancy(g),
    'equipment', (select jsonb_object_agg(status, n) from (
                    select status, count(*) as n from equipment where gym_id = g.id group by status) e));
end
$$;

create function public.list_coaches(p_gym_id uuid, p_specialty text default null)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_specialty, 'la spécialité', 80, false));
begin
  return jsonb_build_object('coaches', coalesce((
    select jsonb_agg(jsonb_build_object(
             'name', c.first_name || ' ' || c.last_name, 'first_name', c.first_name,
             'specialties', to_jsonb(c.specialties), 'bio', c.bio,
             'schedule', (select jsonb_agg(jsonb_build_object(
                                  'weekday', jarvis_private.weekday_fr(s.weekday),
                                  'start', to_char(s.start_time, 'HH24:MI'), 'end', to_char(s.end_time, 'HH24:MI'))
                                order by s.weekday, s.start_time)
                          from coach_schedules s where s.coach_id = c.id))
           order by c.last_name, c.first_name)
    from coaches c
    where c.gym_id = g.id and c.is_active
      and (q is null or exists (select 1 from unnest(c.specialties) sp
                                where jarvis_private.norm(sp) like jarvis_private.contains(q)))), '[]'));
end
$$;

create function public.check_coach_availability(p_gym_id uuid, p_coach_name text default null,
                                                p_member_id uuid default null, p_from date default null,
                                                p_days integer default 7, p_duration_minutes integer default 60)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_today date := jarvis_private.local_today(g.timezone);
  v_from date := coalesce(p_from, v_today);
  v_days integer := jarvis_private.check_range(p_days, 'Le nombre de jours', 1, 14);
  v_dur integer := jarvis_private.check_range(p_duration_minutes, 'La durée', 15, 180);
  c coaches;
begin
  if p_member_id is not null then
    perform jarvis_private.active_member(g.id, p_member_id);
  end if;
  c := jarvis_private.find_coach(g.id, p_coach_name, p_member_id);
  if v_from < v_today then
    perform jarvis_private.fail('JI422', 'past_date', 'Cette date est déjà passée.');
  end if;
  if v_from > ((now() + jarvis_private.booking_horizon()) at time zone g.timezone)::date then
    perform jarvis_private.fail('JI422', 'too_far', 'Les disponibilités ne sont pas connues aussi loin.');
  end if;
  return jsonb_build_object(
    'coach', jsonb_build_object('name', c.first_name || ' ' || c.last_name, 'specialties', to_jsonb(c.specialties)),
    'from', v_from, 'to', least(v_from + v_days - 1, ((now() + jarvis_private.booking_horizon()) at time zone g.timezone)::date),
    'duration_minutes', v_dur,
    'slots', coalesce((
      select jsonb_agg(jarvis_private.local_when(slot, g.timezone) order by slot)
      from (
        select slot
        from generate_series(v_from::timestamp, (v_from + v_days - 1)::timestamp, interval '1 day') d
        join coach_schedules s on s.coach_id = c.id and s.weekday = extract(isodow from d)::integer
        cross join lateral generate_series(d::date + s.start_time,
                                           d::date + s.end_time - make_interval(mins => v_dur),
                                           interval '1 hour') local_slot
        cross join lateral (select local_slot at time zone g.timezone as slot) t
        where t.slot > now() + interval '1 hour' and t.slot <= now() + jarvis_private.booking_horizon()
          and not exists (select 1 from coach_appointments a
                          where a.coach_id = c.id and a.status = 'booked'
                            and tstzrange(a.starts_at, a.ends_at) && tstzrange(t.slot, t.slot + make_interval(mins => v_dur)))
        order by slot
        limit 40) free), '[]'));
end
$$;

create function public.get_equipment_status(p_gym_id uuid, p_query text default null, p_status text default null)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_query, 'l''équipement recherché', 80, false));
  s text := jarvis_private.check_enum(p_status, 'Le statut', array['operational', 'maintenance', 'out_of_order'], false);
begin
  return jsonb_build_object(
    'summary', coalesce((select jsonb_object_agg(status, n) from (
                          select status, count(*) as n from equipment where gym_id = g.id group by status) e), '{}'),
    'equipment', coalesce((
      select jsonb_agg(jsonb_build_object('name', e.name, 'category', e.category, 'zone', e.zone,
                                          'status', e.status, 'note', nullif(e.status_note, ''))
                       order by e.status <> 'operational' desc, e.name)
      from (select * from equipment e
            where e.gym_id = g.id and (s is null or e.status = s)
              and (q is null or jarvis_private.norm(e.name) like jarvis_private.contains(q)
                   or jarvis_private.norm(replace(e.category, '_', ' ')) like jarvis_private.contains(q)
                   or jarvis_private.norm(e.zone) like jarvis_private.contains(q)
                   or word_similarity(q, jarvis_private.norm(e.name)) >= 0.5)
            order by e.status <> 'operational' desc, e.name
            limit 30) e), '[]'));
end
$$;

create function jarvis_private.video_json(v public.video_library)
  returns jsonb
  language sql stable
  set search_path = ''
  as $$
  select jsonb_build_object('video_id', v.id, 'title', v.title, 'muscle_group', v.muscle_group, 'level', v.level,
                            'url', v.url, 'thumbnail_url', v.thumbnail_url, 'duration_seconds', v.duration_seconds)
$$;

create function public.get_member_programs(p_gym_id uuid, p_member_id uuid)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
begin
  return jsonb_build_object(
    'current', (
      select jsonb_build_object(
        'name', p.name, 'goal', p.goal, 'level', p.level, 'sessions_per_week', p.sessions_per_week,
        'starts_on', p.starts_on, 'ends_on', p.ends_on,
        'coach', (select co.first_name || ' ' || co.last_name from coaches co where co.id = p.coach_id),
        'exercises', (
          select jsonb_agg(jsonb_build_object(
                   'name', coalesce(x.name, item ->> 'exercise'), 'sets', (item ->> 'sets')::integer,
                   'reps', item ->> 'reps', 'muscle_group', x.muscle_group,
                   'video', (select jarvis_private.video_json(v) from video_library v
                             where v.exercise_id = x.id order by v.title limit 1))
                 order by ord)
          from jsonb_array_elements(p.exercises) with ordinality as e(item, ord)
          left join exercises x on x.gym_id = p.gym_id and x.slug = item ->> 'exercise'))
      from training_programs p
      where p.member_id = m.id and p.status = 'active'
      order by p.starts_on desc limit 1),
    'history', coalesce((
      select jsonb_agg(jsonb_build_object('name', p.name, 'goal', p.goal, 'status', p.status,
                                          'starts_on', p.starts_on, 'ends_on', p.ends_on) order by p.starts_on desc)
      from (select * from training_programs p where p.member_id = m.id and p.status <> 'active'
            order by p.starts_on desc limit 5) p), '[]'));
end
$$;

-- Videos of a gym ranked by how well they match a query (accent-insensitive trigram word similarity).
create function jarvis_private.search_videos(p_gym_id uuid, p_query text, p_limit integer)
  returns table (video public.video_library, score real)
  language sql stable
  set search_path = public, extensions, pg_temp
  as $$
  select v, greatest(word_similarity(q, v.search_text),
                     coalesce(word_similarity(q, jarvis_private.norm(x.name)), 0)) as score
  from (select jarvis_private.norm(p_query) as q) s
  cross join video_library v
  left join exercises x on x.id = v.exercise_id
  where v.gym_id = p_gym_id
    and greatest(word_similarity(q, v.search_text), coalesce(word_similarity(q, jarvis_private.norm(x.name)), 0)) >= 0.35
  order by score desc, v.title
  limit p_limit
$$;

create function public.search_video_tutorials(p_gym_id uuid, p_query text, p_limit integer default 3)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  q text := jarvis_private.clean_text(p_query, 'l''exercice recherché', 120);
  n integer := jarvis_private.check_range(p_limit, 'Le nombre de vidéos', 1, 10);
begin
  return jsonb_build_object('query', q, 'videos', coalesce((
    select jsonb_agg(jarvis_private.video_json(s.video) || jsonb_build_object('score', round(s.score::numeric, 2))
                     order by s.score desc)
    from jarvis_private.search_videos(g.id, q, n) s), '[]'));
end
$$;

create function public.get_nutrition_tips(p_goal text)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  v_goal text := jarvis_private.check_enum(p_goal, 'L''objectif',
    array['perte_de_poids', 'prise_de_masse', 'remise_en_forme', 'endurance', 'force', 'souplesse', 'bien_etre']);
begin
  return jsonb_build_object(
    'goal', v_goal,
    'tips', coalesce((select jsonb_agg(tip order by position) from nutrition_tips where goal in (v_goal, 'general')),
                     '[]'),
    'disclaimer', 'Conseils généraux, pas un avis médical : pour un suivi personnalisé, '
                  'vois un médecin ou un diététicien.');
end
$$;

create function public.get_gym_events(p_gym_id uuid, p_from date default null, p_limit integer default 5)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_from date := coalesce(p_from, jarvis_private.local_today(g.timezone));
  n integer := jarvis_private.check_range(p_limit, 'Le nombre d''événements', 1, 20);
begin
  return jsonb_build_object('events', coalesce((
    select jsonb_agg(jsonb_build_object(
             'title', e.title, 'description', e.description, 'kind', e.kind, 'location', e.location,
             'when', jarvis_private.local_when(e.starts_at, g.timezone),
             'ends', case when e.ends_at is null then null else jarvis_private.local_when(e.ends_at, g.timezone) end,
             'capacity', e.capacity) order by e.starts_at)
    from (select * from events e
          where e.gym_id = g.id and coalesce(e.ends_at, e.starts_at) >= now()
            and e.starts_at >= v_from::timestamp at time zone g.timezone - interval '60 days'
            and coalesce(e.ends_at, e.starts_at) >= v_from::timestamp at time zone g.timezone
          order by e.starts_at limit n) e), '[]'));
end
$$;

create function public.check_class_availability(p_gym_id uuid, p_class_name text default null,
                                                p_date date default null, p_starts_at timestamptz default null,
                                                p_class_id uuid default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_today date := jarvis_private.local_today(g.timezone);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_class_name, 'le nom du cours', 80, false));
  v_from timestamptz;
  v_to timestamptz;
  result jsonb;
begin
  if q is null and p_class_id is null then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il me faut le nom du cours.');
  end if;
  if p_starts_at is not null then
    v_from := p_starts_at - interval '1 minute';
    v_to := p_starts_at + interval '1 minute';
  elsif p_date is not null then
    if p_date < v_today then
      perform jarvis_private.fail('JI422', 'past_date', 'Cette date est déjà passée.');
    end if;
    v_from := p_date::timestamp at time zone g.timezone;
    v_to := (p_date + 1)::timestamp at time zone g.timezone;
  elsif p_class_id is not null then
    v_from := now();
    v_to := now() + jarvis_private.booking_horizon();
  else
    v_from := now();
    v_to := (v_today + 7)::timestamp at time zone g.timezone;
  end if;
  if v_from > now() + jarvis_private.booking_horizon() then
    perform jarvis_private.fail('JI422', 'too_far', 'Le planning n''est pas encore connu aussi loin.');
  end if;
  v_to := least(v_to, now() + jarvis_private.booking_horizon());
  perform jarvis_private.ensure_classes(g.id, (v_to at time zone g.timezone)::date);
  select jsonb_agg(jarvis_private.class_json(c, g.timezone) || jsonb_build_object(
           'is_full', jarvis_private.class_taken(c.id) >= c.capacity) order by c.starts_at)
    into result
    from (select * from group_classes c
          where c.gym_id = g.id and c.starts_at > now() and c.starts_at >= v_from and c.starts_at < v_to
            and (p_class_id is null or c.id = p_class_id)
            and (q is null or jarvis_private.norm(c.name) like jarvis_private.contains(q)
                 or jarvis_private.norm(c.category) like jarvis_private.contains(q))
          order by c.starts_at limit 10) c;
  if result is null then
    perform jarvis_private.fail('JN404', 'class_not_found', 'Je ne trouve pas ce cours à ce moment-là.');
  end if;
  return jsonb_build_object('classes', result);
end
$$;

create function public.get_member_achievements(p_gym_id uuid, p_member_id uuid)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
begin
  return jsonb_build_object(
    'count', (select count(*) from achievements where member_id = m.id),
    'achievements', coalesce((
      select jsonb_agg(jsonb_build_object('code', a.code, 'title', a.title, 'description', a.description,
                                          'earned', jarvis_private.local_when(a.earned_at, g.timezone))
                       order by a.earned_at desc)
      from (select * from achievements a where a.member_id = m.id order by a.earned_at desc limit 20) a), '[]'));
end
$$;

create function public.get_workout_recommendations(p_gym_id uuid, p_member_id uuid, p_focus text default null,
                                                   p_limit integer default 5)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_focus, 'la zone à travailler', 80, false));
  n integer := jarvis_private.check_range(p_limit, 'Le nombre d''exercices', 1, 10);
  v_levels text[] := case m.level when 'debutant' then array['debutant']
                                  when 'intermediaire' then array['debutant', 'intermediaire']
                                  else array['debutant', 'intermediaire', 'avance'] end;
  v_current text[] := coalesce((
    select array_agg(item ->> 'exercise') from training_programs p, jsonb_array_elements(p.exercises) item
    where p.member_id = m.id and p.status = 'active'), '{}');
begin
  return jsonb_build_object(
    'goal', m.goal, 'level', m.level, 'focus', q,
    'exercises', coalesce((
      select jsonb_agg(jsonb_build_object(
               'name', x.name, 'muscle_group', x.muscle_group, 'equipment', x.equipment_category,
               'level', x.level, 'sets', x.default_sets, 'reps', x.default_reps,
               'in_current_program', x.slug = any (v_current),
               'video', (select jarvis_private.video_json(v) from video_library v
                         where v.exercise_id = x.id order by v.title limit 1)) order by r.rank)
      from (select x.id,
                   row_number() over (order by (m.goal = any (x.goals)) desc, (x.slug = any (v_current)),
                                               (x.level = m.level) desc, md5(m.id::text || x.slug)) as rank
            from exercises x
            where x.gym_id = g.id and x.level = any (v_levels)
              and (q is null or jarvis_private.norm(x.muscle_group) like jarvis_private.contains(q)
                   or jarvis_private.norm(x.name) like jarvis_private.contains(q))
              and (x.equipment_category is null or exists (
                     select 1 from equipment e
                     where e.gym_id = g.id and e.category = x.equipment_category and e.status = 'operational'))
            order by rank limit n) r
      join exercises x on x.id = r.id), '[]'),
    'unavailable_equipment', coalesce((
      select jsonb_agg(distinct x.equipment_category)
      from exercises x
      where x.gym_id = g.id and x.equipment_category is not null
        and not exists (select 1 from equipment e
                        where e.gym_id = g.id and e.category = x.equipment_category and e.status = 'operational')),
      '[]'));
end
$$;

create function jarvis_private.check_period(p_period text, p_tz text)
  returns text
  language plpgsql stable
  set search_path = ''
  as $$
declare
  v text := coalesce(btrim(p_period), to_char(now() at time zone p_tz, 'YYYY-MM'));
begin
  if v !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' then
    perform jarvis_private.fail('JI422', 'invalid_period', 'La période doit être un mois au format AAAA-MM.');
  end if;
  return v;
end
$$;

-- Recompute one month's visit ranking of a gym (the gym's local calendar month).
create function public.refresh_leaderboard(p_gym_id uuid, p_period text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_period text := jarvis_private.check_period(p_period, g.timezone);
  v_start timestamptz;
  n integer;
begin
  v_start := (v_period || '-01')::date::timestamp at time zone g.timezone;
  perform pg_advisory_xact_lock(hashtextextended('leaderboard:' || g.id::text || v_period, 0));
  delete from leaderboards where gym_id = g.id and period = v_period and metric = 'visits';
  insert into leaderboards (gym_id, period, metric, member_id, score, rank)
  select g.id, v_period, 'visits', v.member_id, count(*)::integer,
         rank() over (order by count(*) desc)::integer
  from visit_history v join gym_members mb on mb.id = v.member_id and mb.is_active
  where v.gym_id = g.id and v.checked_in_at >= v_start
    and v.checked_in_at < (v_start at time zone g.timezone + interval '1 month') at time zone g.timezone
  group by v.member_id;
  get diagnostics n = row_count;
  return jsonb_build_object('period', v_period, 'metric', 'visits', 'members', n);
end
$$;

create function public.get_gym_leaderboard(p_gym_id uuid, p_member_id uuid default null, p_period text default null,
                                           p_limit integer default 5)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_period text := jarvis_private.check_period(p_period, g.timezone);
  n integer := jarvis_private.check_range(p_limit, 'La taille du classement', 1, 20);
  v_computed timestamptz;
  v_end timestamptz;
  me jsonb;
begin
  if p_member_id is not null then
    perform jarvis_private.active_member(p_gym_id, p_member_id);
  end if;
  select max(computed_at) into v_computed from leaderboards
    where gym_id = g.id and period = v_period and metric = 'visits' and rank = 1;
  v_end := ((v_period || '-01')::date + interval '1 month')::timestamp at time zone g.timezone;
  -- The current month is kept fresh (recomputed when missing or older than an hour); a past month is recomputed
  -- once more after it ended, so its final ranking counts every visit.
  if v_computed is null
     or (v_end > now() and v_computed < now() - interval '1 hour')
     or (v_end <= now() and v_computed < v_end) then
    perform public.refresh_leaderboard(g.id, v_period);
  end if;
  if p_member_id is not null then
    select jsonb_build_object('rank', l.rank, 'score', l.score,
                              'out_of', (select count(*) from leaderboards l2
                                         where l2.gym_id = g.id and l2.period = v_period and l2.metric = 'visits'))
      into me from leaderboards l
      where l.gym_id = g.id and l.period = v_period and l.metric = 'visits' and l.member_id = p_member_id;
  end if;
  return jsonb_build_object(
    'period', v_period, 'metric', 'visits',
    'top', coalesce((
      select jsonb_agg(jsonb_build_object('rank', l.rank, 'name', mb.first_name || ' ' || left(mb.last_name, 1) || '.',
                                          'score', l.score, 'is_me', l.member_id = p_member_id)
                       order by l.rank, mb.first_name)
      from (select * from leaderboards l
            where l.gym_id = g.id and l.period = v_period and l.metric = 'visits'
            order by l.rank limit n) l
      join gym_members mb on mb.id = l.member_id), '[]'),
    'me', me);
end
$$;

-- Stems of words that carry no meaning in a spoken question to a gym kiosk ("je peux", "c'est quoi", "mettre").
create function jarvis_private.spoken_filler()
  returns text[]
  language sql immutable parallel safe
  set search_path = ''
  as $$
  select array_agg(lexeme) from unnest(to_tsvector('french'::regconfig,
    'est ce quoi peux peut pouvoir puis faut faire fais veux voudrais aimerais ya y a il c qu ca sais savoir dis dire '
    || 'bien tout alors bon ben oui non merci jarvis comment quel quelle quels mettre venir aller avoir etre donner '
    || 'prendre moi toi truc chose salle svp stp plait question demande est-ce qu''il y a-t-il'))
$$;

-- French full-text FAQ search. The score is the share of the question's stemmed words (stop words aside) that an
-- entry covers: a word found in the entry's question or keywords counts 1, one found only in its answer 0.5. Below
-- p_min_score the function says it doesn't know rather than return a loosely related answer.
create function public.get_faq_answer(p_gym_id uuid, p_question text, p_min_score real default 0.5)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_question, 'la question', 500));
  words text[];
  hits jsonb;
  best jsonb;
begin
  if p_min_score is null or p_min_score < 0 or p_min_score > 1 then
    perform jarvis_private.fail('JI422', 'out_of_range', 'Le seuil doit être entre 0 et 1.');
  end if;
  select array_agg(lexeme) into words from unnest(to_tsvector('french', q))
    where length(lexeme) > 1 and lexeme <> all (jarvis_private.spoken_filler());
  if words is null then
    return jsonb_build_object('found', false, 'score', 0,
                              'message', 'Je n''ai pas de réponse sûre dans la FAQ de la salle.');
  end if;
  select jsonb_agg(to_jsonb(h) order by h.score desc, h.rank desc, h.question) into hits
    from (select f.question, f.answer, f.category,
                 round((sum(case when f.search_vector @@ (quote_literal(w) || ':A')::tsquery then 1.0
                                 when f.search_vector @@ quote_literal(w)::tsquery then 0.5
                                 else 0 end) / cardinality(words))::numeric, 2) as score,
                 -- ties (same words covered) go to the entry whose question reads most like the member's
                 similarity(q, jarvis_private.norm(f.question)) as rank
          from faq f cross join unnest(words) w
          where f.gym_id = g.id
          group by f.id
          order by score desc, rank desc, f.question
          limit 3) h;
  best := hits -> 0;
  if best is null or (best ->> 'score')::real < p_min_score then
    return jsonb_build_object('found', false, 'score', coalesce((best ->> 'score')::numeric, 0),
                              'message', 'Je n''ai pas de réponse sûre dans la FAQ de la salle.');
  end if;
  return (best - 'rank') || jsonb_build_object(
    'found', true,
    'related_questions', coalesce((select jsonb_agg(h -> 'question') from jsonb_array_elements(hits) with ordinality
                                   as t(h, i) where i > 1 and (h ->> 'score')::real >= p_min_score), '[]'));
end
$$;

call jarvis_private.lock_down_api();
