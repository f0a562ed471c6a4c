-- Data API, action side: one function per write of the V3 action tools. Each runs in one transaction, takes an
-- idempotency key (the tool call id) and returns the first result again, writing nothing more, when retried with it.
-- Capacity and overlaps are decided under row locks and exclusion constraints: concurrent kiosks cannot overbook.

create function public.book_coach_appointment(p_gym_id uuid, p_member_id uuid, p_starts_at timestamptz,
                                              p_idempotency_key text, p_coach_name text default null,
                                              p_duration_minutes integer default 60, p_note text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  v_dur integer := jarvis_private.check_range(p_duration_minutes, 'La durée', 15, 180);
  v_note text := jarvis_private.clean_text(p_note, 'la note', 500, false);
  v_prior jsonb;
  c coaches;
  v_local timestamp;
  v_end timestamptz;
  v_id uuid;
  v_constraint text;
begin
  if p_starts_at is null then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il me faut le jour et l''heure du rendez-vous.');
  end if;
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'book_coach_appointment', m.id);
  if v_prior is not null then
    return v_prior;
  end if;
  if p_starts_at <= now() then
    perform jarvis_private.fail('JI422', 'past_date', 'Ce créneau est déjà passé.');
  end if;
  if p_starts_at > now() + jarvis_private.booking_horizon() then
    perform jarvis_private.fail('JI422', 'too_far', 'On ne peut pas réserver à plus de trois mois.');
  end if;
  c := jarvis_private.find_coach(g.id, p_coach_name, m.id);
  v_local := p_starts_at at time zone g.timezone;
  v_end := p_starts_at + make_interval(mins => v_dur);
  if not exists (
    select 1 from coach_schedules s
    where s.coach_id = c.id and s.weekday = extract(isodow from v_local)::integer
      and s.start_time <= v_local::time
      and (v_end at time zone g.timezone) <= v_local::date + s.end_time) then
    perform jarvis_private.fail('JC409', 'coach_not_working',
      format('%s ne travaille pas %s à %s.', c.first_name,
             jarvis_private.weekday_fr(extract(isodow from v_local)::integer), to_char(v_local, 'HH24"h"MI')));
  end if;
  if exists (select 1 from coach_appointments a
             where a.coach_id = c.id and a.status = 'booked'
               and tstzrange(a.starts_at, a.ends_at) && tstzrange(p_starts_at, v_end)) then
    perform jarvis_private.fail('JC409', 'slot_taken', format('%s est déjà pris sur ce créneau.', c.first_name));
  end if;
  begin
    insert into coach_appointments (gym_id, coach_id, member_id, starts_at, ends_at, note)
      values (g.id, c.id, m.id, p_starts_at, v_end, v_note)
      returning id into v_id;
  exception when exclusion_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'coach_appointments_member_overlap' then
      perform jarvis_private.fail('JC409', 'member_busy', 'Tu as déjà un rendez-vous sur ce créneau.');
    end if;
    perform jarvis_private.fail('JC409', 'slot_taken', format('%s est déjà pris sur ce créneau.', c.first_name));
  end;
  return jarvis_private.idem_finish(g.id, p_idempotency_key, jsonb_build_object(
    'booking_id', v_id, 'kind', 'coach', 'status', 'booked',
    'coach', c.first_name || ' ' || c.last_name,
    'when', jarvis_private.local_when(p_starts_at, g.timezone), 'duration_minutes', v_dur));
end
$$;

create function public.enroll_group_class(p_gym_id uuid, p_member_id uuid, p_idempotency_key text,
                                          p_class_id uuid default null, p_class_name text default null,
                                          p_starts_at timestamptz default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_class_name, 'le nom du cours', 80, false));
  v_prior jsonb;
  c group_classes;
  v_taken integer;
  v_id uuid;
begin
  if p_class_id is null and (q is null or p_starts_at is null) then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il me faut le cours, le jour et l''heure.');
  end if;
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'enroll_group_class', m.id);
  if v_prior is not null then
    return v_prior;
  end if;
  if p_class_id is null then
    if p_starts_at <= now() then
      perform jarvis_private.fail('JI422', 'past_date', 'Ce cours a déjà commencé.');
    end if;
    if p_starts_at > now() + jarvis_private.booking_horizon() then
      perform jarvis_private.fail('JI422', 'too_far', 'Le planning n''est pas encore connu aussi loin.');
    end if;
    perform jarvis_private.ensure_classes(g.id, (p_starts_at at time zone g.timezone)::date);
    select c2.id into p_class_id from group_classes c2
      where c2.gym_id = g.id and c2.starts_at between p_starts_at - interval '1 minute' and p_starts_at + interval '1 minute'
        and (jarvis_private.norm(c2.name) like jarvis_private.contains(q) or jarvis_private.norm(c2.category) like jarvis_private.contains(q)
             or similarity(jarvis_private.norm(c2.name), q) >= 0.4)
      order by similarity(jarvis_private.norm(c2.name), q) desc
      limit 1;
  end if;
  -- The lock on the class row serialises enrolments of that class: the count below is exact.
  select * into c from group_classes where id = p_class_id and gym_id = g.id for no key update;
  if not found then
    perform jarvis_private.fail('JN404', 'class_not_found', 'Je ne trouve pas ce cours à ce moment-là.');
  end if;
  if c.status = 'cancelled' then
    perform jarvis_private.fail('JC409', 'class_cancelled', format('Le cours %s est annulé.', c.name));
  end if;
  if c.starts_at <= now() then
    perform jarvis_private.fail('JI422', 'past_date', 'Ce cours a déjà commencé.');
  end if;
  if c.starts_at > now() + jarvis_private.booking_horizon() then
    perform jarvis_private.fail('JI422', 'too_far', 'Les inscriptions ne sont pas encore ouvertes aussi loin.');
  end if;
  if exists (select 1 from class_enrollments where class_id = c.id and member_id = m.id and status <> 'cancelled') then
    perform jarvis_private.fail('JC409', 'already_enrolled', format('Tu es déjà inscrit au cours %s.', c.name));
  end if;
  v_taken := jarvis_private.class_taken(c.id);
  if v_taken >= c.capacity then
    perform jarvis_private.fail('JC409', 'class_full',
      format('Le cours %s de %s %s est complet.', c.name,
             jarvis_private.weekday_fr(extract(isodow from c.starts_at at time zone g.timezone)::integer),
             to_char(c.starts_at at time zone g.timezone, 'HH24"h"MI')));
  end if;
  insert into class_enrollments (gym_id, class_id, member_id) values (g.id, c.id, m.id) returning id into v_id;
  return jarvis_private.idem_finish(g.id, p_idempotency_key,
    jarvis_private.class_json(c, g.timezone)
    || jsonb_build_object('booking_id', v_id, 'kind', 'class', 'status', 'booked',
                          'spots_left', c.capacity - v_taken - 1));
end
$$;

create function public.cancel_booking(p_gym_id uuid, p_member_id uuid, p_idempotency_key text,
                                      p_booking_id uuid default null, p_kind text default null,
                                      p_starts_at timestamptz default null, p_name text default null,
                                      p_date date default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  q text := jarvis_private.norm(jarvis_private.clean_text(p_name, 'le nom', 80, false));
  v_kind text := jarvis_private.check_enum(p_kind, 'Le type de réservation', array['coach', 'class'], false);
  v_prior jsonb;
  b bookings;
  n integer;
  v_list text;
begin
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'cancel_booking', m.id);
  if v_prior is not null then
    return v_prior;
  end if;
  -- Only this member's own upcoming reservations are candidates, whatever the arguments say.
  select count(*), string_agg(x.title || ' ' || jarvis_private.weekday_fr(extract(isodow from x.starts_at at time zone g.timezone)::integer)
                              || ' ' || to_char(x.starts_at at time zone g.timezone, 'DD/MM HH24"h"MI'), ', ')
    into n, v_list
    from bookings x
    where x.member_id = m.id and x.gym_id = g.id and x.status = 'booked' and x.starts_at > now()
      and (p_booking_id is null or x.id = p_booking_id)
      and (v_kind is null or x.kind = v_kind)
      and (p_starts_at is null or x.starts_at between p_starts_at - interval '1 minute' and p_starts_at + interval '1 minute')
      and (p_date is null or (x.starts_at at time zone g.timezone)::date = p_date)
      and (q is null or jarvis_private.norm(x.title) like jarvis_private.contains(q));
  if n = 0 then
    perform jarvis_private.fail('JN404', 'booking_not_found', 'Je ne trouve pas de réservation à venir qui corresponde.');
  end if;
  if n > 1 then
    perform jarvis_private.fail('JC409', 'ambiguous_booking',
      format('Tu as plusieurs réservations : %s. Laquelle veux-tu annuler ?', v_list));
  end if;
  select * into b from bookings x
    where x.member_id = m.id and x.gym_id = g.id and x.status = 'booked' and x.starts_at > now()
      and (p_booking_id is null or x.id = p_booking_id)
      and (v_kind is null or x.kind = v_kind)
      and (p_starts_at is null or x.starts_at between p_starts_at - interval '1 minute' and p_starts_at + interval '1 minute')
      and (p_date is null or (x.starts_at at time zone g.timezone)::date = p_date)
      and (q is null or jarvis_private.norm(x.title) like jarvis_private.contains(q));
  if b.kind = 'coach' then
    update coach_appointments set status = 'cancelled', cancelled_at = now()
      where id = b.id and member_id = m.id and status = 'booked';
  else
    update class_enrollments set status = 'cancelled', cancelled_at = now()
      where id = b.id and member_id = m.id and status = 'enrolled';
  end if;
  if not found then
    perform jarvis_private.fail('JC409', 'already_cancelled', 'Cette réservation est déjà annulée.');
  end if;
  return jarvis_private.idem_finish(g.id, p_idempotency_key, jsonb_build_object(
    'booking_id', b.id, 'kind', b.kind, 'title', b.title, 'status', 'cancelled',
    'when', jarvis_private.local_when(b.starts_at, g.timezone)));
end
$$;

-- "06 39 98 12 34" -> "•• 34": enough for the agent to confirm the destination without reading it out.
create function jarvis_private.mask_recipient(p_channel text, p_recipient text)
  returns text
  language sql immutable
  set search_path = ''
  as $$
  select case p_channel
           when 'sms' then '•• ' || right(regexp_replace(p_recipient, '[^0-9]', '', 'g'), 2)
           else left(p_recipient, 1) || '•••@' || split_part(p_recipient, '@', 2) end
$$;

create function jarvis_private.queue_message(p_gym_id uuid, p_member_id uuid, p_channel text, p_subject text,
                                             p_body text, p_idempotency_key text, p_action text)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  v_prior jsonb;
  v_to text := case p_channel when 'sms' then nullif(btrim(m.phone), '') else nullif(btrim(m.email), '') end;
  v_id uuid;
begin
  v_prior := jarvis_private.idem_begin(p_gym_id, p_idempotency_key, p_action, m.id);
  if v_prior is not null then
    return v_prior;
  end if;
  if v_to is null then
    perform jarvis_private.fail('JN404', case p_channel when 'sms' then 'no_phone' else 'no_email' end,
      case p_channel when 'sms' then 'Je n''ai pas ton numéro de téléphone : demande à l''accueil de l''ajouter.'
                     else 'Je n''ai pas ton adresse e-mail : demande à l''accueil de l''ajouter.' end);
  end if;
  insert into outbox_messages (gym_id, member_id, channel, recipient, subject, body)
    values (p_gym_id, m.id, p_channel, v_to, p_subject, p_body)
    returning id into v_id;
  return jarvis_private.idem_finish(p_gym_id, p_idempotency_key, jsonb_build_object(
    'message_id', v_id, 'channel', p_channel, 'status', 'queued',
    'recipient_hint', jarvis_private.mask_recipient(p_channel, v_to)));
end
$$;

create function public.send_sms_reminder(p_gym_id uuid, p_member_id uuid, p_message text, p_idempotency_key text)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_body text := jarvis_private.clean_text(p_message, 'le message', 480);
begin
  return jarvis_private.queue_message(g.id, p_member_id, 'sms', null, v_body, p_idempotency_key, 'send_sms_reminder');
end
$$;

create function public.send_email_study(p_gym_id uuid, p_member_id uuid, p_subject text, p_body text,
                                        p_idempotency_key text)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_subject text := jarvis_private.clean_text(p_subject, 'le sujet', 200);
  v_body text := jarvis_private.clean_text(p_body, 'le contenu', 5000);
begin
  return jarvis_private.queue_message(g.id, p_member_id, 'email', v_subject, v_body, p_idempotency_key,
                                      'send_email_study');
end
$$;

create function public.notify_gym_manager(p_gym_id uuid, p_urgency text, p_message text, p_idempotency_key text,
                                          p_member_id uuid default null, p_session_id uuid default null,
                                          p_title text default null, p_source text default 'jarvis')
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_urgency text := jarvis_private.check_enum(p_urgency, 'L''urgence', array['low', 'medium', 'high', 'critical']);
  v_message text := jarvis_private.clean_text(p_message, 'le message', 1000);
  v_title text := coalesce(jarvis_private.clean_text(p_title, 'le titre', 160, false),
                           case v_urgency when 'critical' then 'Alerte critique Jarvis'
                                          when 'high' then 'Alerte Jarvis'
                                          else 'Signalement Jarvis' end);
  v_source text := jarvis_private.check_enum(p_source, 'La source', array['jarvis', 'analytics', 'system']);
  v_prior jsonb;
  v_id uuid;
begin
  if p_member_id is not null then
    perform jarvis_private.member_of_gym(g.id, p_member_id);
  end if;
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'notify_gym_manager', p_member_id);
  if v_prior is not null then
    return v_prior;
  end if;
  insert into manager_notifications (gym_id, member_id, session_id, urgency, title, message, source)
    values (g.id, p_member_id, p_session_id, v_urgency, v_title, v_message, v_source)
    returning id into v_id;
  return jarvis_private.idem_finish(g.id, p_idempotency_key, jsonb_build_object(
    'notification_id', v_id, 'urgency', v_urgency, 'title', v_title, 'status', 'unread'));
end
$$;

create function public.create_mission(p_gym_id uuid, p_title text, p_description text, p_priority text,
                                      p_idempotency_key text, p_member_id uuid default null,
                                      p_session_id uuid default null, p_due_date date default null,
                                      p_source text default 'jarvis')
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_today date := jarvis_private.local_today(g.timezone);
  v_title text := jarvis_private.clean_text(p_title, 'le titre', 160);
  v_description text := jarvis_private.clean_text(p_description, 'la description', 2000);
  v_priority text := jarvis_private.check_enum(p_priority, 'La priorité', array['low', 'medium', 'high', 'urgent']);
  v_source text := jarvis_private.check_enum(p_source, 'La source', array['jarvis', 'analytics', 'manager']);
  v_due date := coalesce(p_due_date, v_today + case v_priority when 'urgent' then 0 when 'high' then 2
                                                               when 'medium' then 7 else 14 end);
  v_prior jsonb;
  v_id uuid;
begin
  if v_due < v_today then
    perform jarvis_private.fail('JI422', 'past_date', 'L''échéance est déjà passée.');
  end if;
  if v_due > v_today + 365 then
    perform jarvis_private.fail('JI422', 'too_far', 'L''échéance doit être dans l''année.');
  end if;
  if p_member_id is not null then
    perform jarvis_private.member_of_gym(g.id, p_member_id);
  end if;
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'create_mission', p_member_id);
  if v_prior is not null then
    return v_prior;
  end if;
  insert into manager_missions (gym_id, member_id, session_id, title, description, priority, due_date, source)
    values (g.id, p_member_id, p_session_id, v_title, v_description, v_priority, v_due, v_source)
    returning id into v_id;
  return jarvis_private.idem_finish(g.id, p_idempotency_key, jsonb_build_object(
    'mission_id', v_id, 'title', v_title, 'priority', v_priority, 'due_date', v_due, 'status', 'open'));
end
$$;

create function public.log_feedback(p_gym_id uuid, p_category text, p_message text, p_sentiment text,
                                    p_idempotency_key text, p_member_id uuid default null,
                                    p_session_id uuid default null, p_severity text default 'low')
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  v_category text := jarvis_private.check_enum(p_category, 'La catégorie',
    array['equipement', 'proprete', 'personnel', 'cours', 'horaires', 'tarifs', 'affluence', 'ambiance', 'securite',
          'autre']);
  v_message text := jarvis_private.clean_text(p_message, 'le retour', 2000);
  v_sentiment text := jarvis_private.check_enum(p_sentiment, 'Le ressenti', array['positive', 'neutral', 'negative']);
  v_severity text := jarvis_private.check_enum(p_severity, 'La gravité', array['low', 'medium', 'high', 'critical']);
  v_prior jsonb;
  v_id uuid;
begin
  if p_member_id is not null then
    perform jarvis_private.member_of_gym(g.id, p_member_id);
  end if;
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'log_feedback', p_member_id);
  if v_prior is not null then
    return v_prior;
  end if;
  insert into member_feedback (gym_id, member_id, session_id, category, sentiment, severity, message)
    values (g.id, p_member_id, p_session_id, v_category, v_sentiment, v_severity, v_message)
    returning id into v_id;
  return jarvis_private.idem_finish(g.id, p_idempotency_key, jsonb_build_object(
    'feedback_id', v_id, 'category', v_category, 'sentiment', v_sentiment, 'severity', v_severity));
end
$$;

-- The video to show on the mirror: by id, or the best match for what the member asked.
create function public.find_video_tutorial(p_gym_id uuid, p_query text default null, p_video_id uuid default null)
  returns jsonb
  language plpgsql stable
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  q text := jarvis_private.clean_text(p_query, 'l''exercice', 120, p_video_id is null);
  v video_library;
begin
  if p_video_id is not null then
    select * into v from video_library where id = p_video_id and gym_id = g.id;
  else
    select (s.video).* into v from jarvis_private.search_videos(g.id, q, 1) s;
  end if;
  if v.id is null then
    perform jarvis_private.fail('JN404', 'video_not_found', 'Je n''ai pas de vidéo pour cet exercice.');
  end if;
  return jsonb_build_object('video', jarvis_private.video_json(v));
end
$$;

create function public.update_member_goals(p_gym_id uuid, p_member_id uuid, p_idempotency_key text,
                                           p_goal text default null, p_level text default null,
                                           p_goal_note text default null)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  g gyms := jarvis_private.gym(p_gym_id);
  m gym_members := jarvis_private.active_member(p_gym_id, p_member_id);
  v_goal text := jarvis_private.check_enum(p_goal, 'L''objectif',
    array['perte_de_poids', 'prise_de_masse', 'remise_en_forme', 'endurance', 'force', 'souplesse', 'bien_etre'], false);
  v_level text := jarvis_private.check_enum(p_level, 'Le niveau', array['debutant', 'intermediaire', 'avance'], false);
  v_note text := jarvis_private.clean_text(p_goal_note, 'la précision sur l''objectif', 500, false);
  v_prior jsonb;
  r gym_members;
begin
  if v_goal is null and v_level is null and v_note is null then
    perform jarvis_private.fail('JI422', 'missing_value', 'Il me faut le nouvel objectif ou le nouveau niveau.');
  end if;
  v_prior := jarvis_private.idem_begin(g.id, p_idempotency_key, 'update_member_goals', m.id);
  if v_prior is not null then
    return v_prior;
  end if;
  update gym_members
    set goal = coalesce(v_goal, goal), level = coalesce(v_level, level),
        goal_note = case when v_note is not null then v_note when v_goal is not null then null else goal_note end,
        updated_at = now()
    where id = m.id
    returning * into r;
  return jarvis_private.idem_finish(g.id, p_idempotency_key, jsonb_build_object(
    'goal', r.goal, 'level', r.level, 'goal_note', r.goal_note,
    'previous', jsonb_build_object('goal', m.goal, 'level', m.level, 'goal_note', m.goal_note)));
end
$$;

call jarvis_private.lock_down_api();
