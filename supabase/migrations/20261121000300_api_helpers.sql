-- Helpers shared by the data API functions. They live in jarvis_private, which PostgREST never exposes.
--
-- Error convention (mapped to typed errors by both transports, see jarvis_agent/store/errors.py):
--   SQLSTATE JN404 = not found, JC409 = conflict, JI422 = invalid input;
--   MESSAGE is a short French sentence the agent can say, HINT is a stable machine reason ("class_full").

create function jarvis_private.fail(p_code text, p_reason text, p_message text, p_detail text default null)
  returns void
  language plpgsql
  set search_path = ''
  as $$
begin
  raise exception using errcode = p_code, message = p_message, hint = p_reason, detail = coalesce(p_detail, '');
end
$$;

-- Trimmed text, or a typed error when missing (if required), too long, or holding control characters.
create function jarvis_private.clean_text(p_value text, p_label text, p_max integer, p_required boolean default true)
  returns text
  language plpgsql immutable
  set search_path = ''
  as $$
declare
  v text := btrim(p_value);
begin
  if v is null or v = '' then
    if p_required then
      perform jarvis_private.fail('JI422', 'missing_value', format('Il manque %s.', p_label));
    end if;
    return null;
  end if;
  if length(v) > p_max then
    perform jarvis_private.fail('JI422', 'too_long',
      format('%s est trop long (%s caractères au maximum).', initcap(left(p_label, 1)) || substr(p_label, 2), p_max));
  end if;
  if v ~ '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F]' then
    perform jarvis_private.fail('JI422', 'invalid_characters', format('%s contient des caractères invalides.', p_label));
  end if;
  return v;
end
$$;

-- LIKE pattern "contains q", with q's own % _ and \ taken literally (a member saying "%" matches nothing special).
create function jarvis_private.contains(q text)
  returns text
  language sql immutable parallel safe strict
  set search_path = ''
  as $$ select '%' || regexp_replace(q, '([%_\\])', '\\\1', 'g') || '%' $$;

create function jarvis_private.check_range(p_value integer, p_label text, p_min integer, p_max integer)
  returns integer
  language plpgsql immutable
  set search_path = ''
  as $$
begin
  if p_value is null or p_value < p_min or p_value > p_max then
    perform jarvis_private.fail('JI422', 'out_of_range',
      format('%s doit être entre %s et %s.', p_label, p_min, p_max));
  end if;
  return p_value;
end
$$;

-- One of p_allowed (case-insensitive). An optional choice given as null or blank ("" is what language models send
-- for "not specified") is null.
create function jarvis_private.check_enum(p_value text, p_label text, p_allowed text[], p_required boolean default true)
  returns text
  language plpgsql immutable
  set search_path = ''
  as $$
declare
  v text := nullif(lower(btrim(p_value)), '');
begin
  if v is null and not p_required then
    return null;
  end if;
  if v is null or not (v = any (p_allowed)) then
    perform jarvis_private.fail('JI422', 'invalid_choice',
      format('%s doit être l''une de ces valeurs : %s.', p_label, array_to_string(p_allowed, ', ')));
  end if;
  return v;
end
$$;

create function jarvis_private.gym(p_gym_id uuid)
  returns public.gyms
  language plpgsql stable
  set search_path = ''
  as $$
declare
  g public.gyms;
begin
  select * into g from public.gyms where id = p_gym_id;
  if not found then
    perform jarvis_private.fail('JN404', 'gym_not_found', 'Je ne trouve pas cette salle.');
  end if;
  return g;
end
$$;

-- A member of this gym (active or not); never a member of another gym.
create function jarvis_private.member_of_gym(p_gym_id uuid, p_member_id uuid)
  returns public.gym_members
  language plpgsql stable
  set search_path = ''
  as $$
declare
  m public.gym_members;
begin
  select * into m from public.gym_members where id = p_member_id and gym_id = p_gym_id;
  if not found then
    perform jarvis_private.fail('JN404', 'member_not_found', 'Je ne trouve pas ce membre dans cette salle.');
  end if;
  return m;
end
$$;

create function jarvis_private.active_member(p_gym_id uuid, p_member_id uuid)
  returns public.gym_members
  language plpgsql stable
  set search_path = ''
  as $$
declare
  m public.gym_members := jarvis_private.member_of_gym(p_gym_id, p_member_id);
begin
  if not m.is_active then
    perform jarvis_private.fail('JN404', 'member_inactive', 'Cet abonnement n''est plus actif.');
  end if;
  return m;
end
$$;

-- Begin an idempotent action. Returns the stored result of an earlier call with the same key (the caller returns it
-- unchanged), or null for a new key, whose row is now held by this transaction: a concurrent call with the same key
-- waits on it, then reads the committed result.
create function jarvis_private.idem_begin(p_gym_id uuid, p_key text, p_action text, p_member_id uuid)
  returns jsonb
  language plpgsql
  set search_path = ''
  as $$
declare
  k text := jarvis_private.clean_text(p_key, 'la clé d''idempotence', 200);
  r jarvis_private.idempotency_keys;
begin
  insert into jarvis_private.idempotency_keys (gym_id, key, action, member_id)
    values (p_gym_id, k, p_action, p_member_id)
    on conflict do nothing;
  if found then
    return null;
  end if;
  select * into r from jarvis_private.idempotency_keys where gym_id = p_gym_id and key = k;
  if r.action <> p_action or r.member_id is distinct from p_member_id then
    perform jarvis_private.fail('JC409', 'idempotency_key_reused',
      'Cette demande a déjà été utilisée pour une autre action.');
  end if;
  return r.result;
end
$$;

create function jarvis_private.idem_finish(p_gym_id uuid, p_key text, p_result jsonb)
  returns jsonb
  language sql
  set search_path = ''
  as $$
  update jarvis_private.idempotency_keys set result = p_result where gym_id = p_gym_id and key = btrim(p_key);
  select p_result;
$$;

create function jarvis_private.iso(p_ts timestamptz)
  returns text
  language sql immutable parallel safe
  set search_path = ''
  as $$ select to_char(p_ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

create function jarvis_private.weekday_fr(p_isodow integer)
  returns text
  language sql immutable parallel safe
  set search_path = ''
  as $$ select (array['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'])[p_isodow] $$;

-- A moment as the gym's members say it: {"at": UTC ISO, "date": local date, "time": "18:30", "weekday": "mardi"}.
create function jarvis_private.local_when(p_ts timestamptz, p_tz text)
  returns jsonb
  language sql stable parallel safe
  set search_path = ''
  as $$
  select jsonb_build_object(
    'at', jarvis_private.iso(p_ts),
    'date', to_char(p_ts at time zone p_tz, 'YYYY-MM-DD'),
    'time', to_char(p_ts at time zone p_tz, 'HH24:MI'),
    'weekday', jarvis_private.weekday_fr(extract(isodow from p_ts at time zone p_tz)::integer))
$$;

-- How far ahead members may book (coach appointments, classes): what listings offer, bookings accept.
create function jarvis_private.booking_horizon()
  returns interval
  language sql immutable parallel safe
  set search_path = ''
  as $$ select interval '90 days' $$;

create function jarvis_private.local_today(p_tz text)
  returns date
  language sql stable
  set search_path = ''
  as $$ select (now() at time zone p_tz)::date $$;

-- Opening state of a gym right now, from opening_hours {"1": ["06:00", "23:00"], ...}.
create function jarvis_private.open_now(g public.gyms)
  returns boolean
  language sql stable
  set search_path = ''
  as $$
  select coalesce(
    (now() at time zone g.timezone)::time >= (h ->> 0)::time
      and ((h ->> 1) = '24:00' or (now() at time zone g.timezone)::time < (h ->> 1)::time),
    false)
  from (select g.opening_hours -> extract(isodow from now() at time zone g.timezone)::integer::text as h) s
$$;

-- Materialise dated classes from the weekly timetable up to p_until (gym local date). Cheap when already done.
create function jarvis_private.ensure_classes(p_gym_id uuid, p_until date)
  returns void
  language plpgsql
  set search_path = ''
  as $$
declare
  g public.gyms;
  v_from date;
begin
  select * into g from public.gyms where id = p_gym_id;
  if not found or (g.classes_materialized_until is not null and g.classes_materialized_until >= p_until) then
    return;
  end if;
  select * into g from public.gyms where id = p_gym_id for no key update;
  if g.classes_materialized_until is not null and g.classes_materialized_until >= p_until then
    return;
  end if;
  v_from := coalesce(g.classes_materialized_until + 1, jarvis_private.local_today(g.timezone) - 7);
  insert into public.group_classes
    (gym_id, timetable_id, name, category, description, level, coach_id, room, starts_at, duration_minutes, capacity)
  select t.gym_id, t.id, t.name, t.category, t.description, t.level, t.coach_id, t.room,
         (d::date + t.start_time) at time zone g.timezone, t.duration_minutes, t.capacity
  from public.class_timetable t
  cross join generate_series(v_from::timestamp, p_until::timestamp, interval '1 day') d
  where t.gym_id = p_gym_id and t.is_active and extract(isodow from d)::integer = t.weekday
  on conflict (timetable_id, starts_at) do nothing;
  update public.gyms set classes_materialized_until = p_until where id = p_gym_id;
end
$$;

-- Keep dated classes in step with the weekly timetable. A slot edited in place (name, coach, room, capacity…)
-- updates its future classes; a slot moved to another day or time, deactivated or deleted cancels its future
-- classes (their enrolments then show as cancelled in `bookings`); a reactivated slot's future classes are
-- scheduled again. New and moved slots are generated by ensure_classes on the next read, from today.
create function jarvis_private.sync_timetable()
  returns trigger
  language plpgsql
  set search_path = ''
  as $$
declare
  v_gym uuid := case when tg_op = 'DELETE' then old.gym_id else new.gym_id end;
begin
  if not exists (select 1 from public.gyms where id = v_gym) then
    return old;  -- the whole gym is being deleted
  end if;
  if tg_op = 'DELETE' or (tg_op = 'UPDATE' and (not new.is_active or new.weekday <> old.weekday
                                                 or new.start_time <> old.start_time)) then
    update public.group_classes set status = 'cancelled'
      where timetable_id = old.id and starts_at > now() and status = 'scheduled';
  elsif tg_op = 'UPDATE' then
    update public.group_classes
      set name = new.name, category = new.category, description = new.description, level = new.level,
          coach_id = new.coach_id, room = new.room, duration_minutes = new.duration_minutes, capacity = new.capacity,
          status = case when not old.is_active then 'scheduled' else status end
      where timetable_id = new.id and starts_at > now();
  end if;
  update public.gyms g
    set classes_materialized_until = least(g.classes_materialized_until, jarvis_private.local_today(g.timezone) - 1)
    where g.id = v_gym;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;

-- Before delete: the foreign key of group_classes sets timetable_id to null once the slot is gone.
create trigger class_timetable_sync_delete before delete on public.class_timetable
  for each row execute function jarvis_private.sync_timetable();
create trigger class_timetable_sync after insert or update on public.class_timetable
  for each row execute function jarvis_private.sync_timetable();

-- Seats left in a class (enrolled or attended members count).
create function jarvis_private.class_taken(p_class_id uuid)
  returns integer
  language sql stable
  set search_path = ''
  as $$
  select count(*)::integer from public.class_enrollments where class_id = p_class_id and status <> 'cancelled'
$$;

-- A coach of this gym by what a member says: "Julie", "julie martin", "Martin". Falls back on the member's preferred
-- coach when no name is given. Several coaches with that name -> a conflict listing them.
create function jarvis_private.find_coach(p_gym_id uuid, p_name text, p_member_id uuid default null)
  returns public.coaches
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  q text := jarvis_private.norm(jarvis_private.clean_text(p_name, 'le nom du coach', 120, false));
  c public.coaches;
  n integer;
  names text;
  v_id uuid;
begin
  if q is null then
    select co.* into c from public.gym_members m join public.coaches co on co.id = m.preferred_coach_id
      where m.id = p_member_id and m.gym_id = p_gym_id and co.is_active;
    if not found then
      perform jarvis_private.fail('JI422', 'missing_value', 'Il me faut le nom du coach.');
    end if;
    return c;
  end if;
  select count(*), string_agg(first_name || ' ' || last_name, ', ' order by last_name)
    into n, names
    from public.coaches
    where gym_id = p_gym_id and is_active
      and (jarvis_private.norm(first_name) = q or jarvis_private.norm(last_name) = q
           or jarvis_private.norm(first_name || ' ' || last_name) = q
           or jarvis_private.norm(last_name || ' ' || first_name) = q);
  if n > 1 then
    perform jarvis_private.fail('JC409', 'ambiguous_coach',
      format('Plusieurs coachs portent ce nom : %s. Lequel ?', names));
  end if;
  if n = 1 then
    select * into c from public.coaches
      where gym_id = p_gym_id and is_active
        and (jarvis_private.norm(first_name) = q or jarvis_private.norm(last_name) = q
             or jarvis_private.norm(first_name || ' ' || last_name) = q
             or jarvis_private.norm(last_name || ' ' || first_name) = q);
    return c;
  end if;
  -- Close spelling (speech-to-text variants: "Julien" for "Julian"), on the full name or either part. Two
  -- candidates about as close as each other are ambiguous, as an exact homonym is: never pick one silently.
  with scored as (
    select co.id, co.first_name || ' ' || co.last_name as name,
           greatest(similarity(jarvis_private.norm(co.first_name || ' ' || co.last_name), q),
                    similarity(jarvis_private.norm(co.first_name), q),
                    similarity(jarvis_private.norm(co.last_name), q)) as score
    from public.coaches co
    where co.gym_id = p_gym_id and co.is_active
  ), best as (select * from scored where score >= 0.4 order by score desc, name limit 2)
  select count(*) filter (where score >= (select max(score) from best) - 0.1),
         string_agg(name, ', ' order by score desc, name),
         (array_agg(id order by score desc, name))[1]
    into n, names, v_id
    from best;
  if n > 1 then
    perform jarvis_private.fail('JC409', 'ambiguous_coach', format('Tu parles de qui : %s ?', names));
  end if;
  if v_id is null then
    perform jarvis_private.fail('JN404', 'coach_not_found', 'Je ne trouve pas de coach à ce nom dans la salle.');
  end if;
  select * into c from public.coaches where id = v_id;
  return c;
end
$$;

-- Grant the data API to the service role only: the functions take gym and member ids as parameters, so a browser
-- (anon / authenticated) must never call them. Called at the end of every migration that adds API functions.
create procedure jarvis_private.lock_down_api()
  language plpgsql
  set search_path = ''
  as $$
declare
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prokind = 'f'
      and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  loop
    execute format('revoke all on function %s from public, anon, authenticated', f);
    execute format('grant execute on function %s to service_role', f);
  end loop;
end
$$;
