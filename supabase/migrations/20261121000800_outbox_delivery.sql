-- Delivery of the outbox (SMS through Twilio, e-mail through Resend): the delivery step claims queued messages
-- atomically, sends them, and reports each outcome. A failed attempt is retried later with exponential backoff
-- (30 s, 1 min, 2 min… capped at an hour) until its attempts run out, then the message is marked failed.

alter table public.outbox_messages add column provider_id text;
alter table public.outbox_messages add column claimed_at timestamptz;
alter table public.outbox_messages add column next_attempt_at timestamptz not null default now();
drop index public.outbox_messages_queued_idx;
create index outbox_messages_queued_idx on public.outbox_messages (next_attempt_at) where status = 'queued';

-- Claim up to p_limit queued messages of the given channels (and ones stuck in "sending" for p_stale_seconds: a
-- delivery process that died). Concurrent deliverers never claim the same message.
create function public.claim_outbox_messages(p_channels jsonb, p_limit integer default 20,
                                             p_stale_seconds integer default 300)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  n integer := jarvis_private.check_range(p_limit, 'La limite', 1, 1000);
  v_stale integer := jarvis_private.check_range(p_stale_seconds, 'Le délai', 10, 86400);
  v_channels text[];
  claimed jsonb;
begin
  if jsonb_typeof(p_channels) = 'array' then
    v_channels := array(select jsonb_array_elements_text(p_channels));
  end if;
  if v_channels is null or not (v_channels <@ array['sms', 'email']) then
    perform jarvis_private.fail('JI422', 'invalid_choice', 'Les canaux doivent être une liste de sms et email.');
  end if;
  with c as (
    update outbox_messages o set status = 'sending', attempts = o.attempts + 1, claimed_at = now()
    where o.id in (
      select x.id from outbox_messages x
      where x.channel = any (v_channels)
        and ((x.status = 'queued' and x.next_attempt_at <= now())
             or (x.status = 'sending' and x.claimed_at < now() - make_interval(secs => v_stale)))
      order by x.next_attempt_at
      limit n
      for no key update skip locked)
    returning o.id, o.gym_id, o.channel, o.recipient, o.subject, o.body, o.attempts)
  select jsonb_agg(to_jsonb(c) order by c.id) into claimed from c;
  return jsonb_build_object('messages', coalesce(claimed, '[]'));
end
$$;

-- The outcome of one delivery attempt: sent (with the provider's id), or an error — queued again, after a backoff,
-- while attempts remain; failed after p_max_attempts (0: a permanent refusal fails at once).
create function public.mark_outbox_message(p_message_id uuid, p_sent boolean, p_provider_id text default null,
                                           p_error text default null, p_max_attempts integer default 5)
  returns jsonb
  language plpgsql
  set search_path = public, extensions, pg_temp
  as $$
declare
  o outbox_messages;
begin
  select * into o from outbox_messages where id = p_message_id for no key update;
  if o.id is null then
    perform jarvis_private.fail('JN404', 'message_not_found', 'Message introuvable.');
  end if;
  if o.status <> 'sending' then
    perform jarvis_private.fail('JC409', 'not_sending', 'Ce message n''est pas en cours d''envoi.');
  end if;
  perform jarvis_private.check_range(p_max_attempts, 'Le nombre de tentatives', 0, 100);
  update outbox_messages
    set status = case when p_sent then 'sent' when attempts >= p_max_attempts then 'failed' else 'queued' end,
        sent_at = case when p_sent then now() end,
        next_attempt_at = now() + make_interval(secs => least(3600, 30 * power(2, greatest(attempts - 1, 0)))),
        provider_id = left(p_provider_id, 200),
        last_error = case when p_sent then null else left(p_error, 1000) end
    where id = p_message_id
    returning * into o;
  return jsonb_build_object('message_id', o.id, 'status', o.status, 'attempts', o.attempts);
end
$$;

call jarvis_private.lock_down_api();
