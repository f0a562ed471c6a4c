-- Row level security: a dashboard user (JWT sub = gym_managers.user_id) sees only the rows of their gym(s).
-- The service role (the agent, the analytics worker, the token server) bypasses RLS; anon sees nothing.

create function jarvis_private.managed_gym_ids() returns setof uuid
  language sql stable security definer
  set search_path = ''
  as $$ select gym_id from public.gym_managers where user_id = auth.uid() $$;
revoke all on function jarvis_private.managed_gym_ids() from public;
grant execute on function jarvis_private.managed_gym_ids() to authenticated, service_role;

grant usage on schema public to anon, authenticated, service_role;
grant select on all tables in schema public to authenticated;
grant all on all tables in schema public to service_role;
grant all on all sequences in schema public to service_role;
grant update (status, updated_at) on public.manager_missions to authenticated;
grant update (status) on public.manager_notifications to authenticated;
grant update (status) on public.member_feedback to authenticated;

do $$
declare
  t text;
begin
  foreach t in array array[
    'coaches', 'coach_schedules', 'gym_members', 'visit_history', 'class_timetable', 'group_classes',
    'class_enrollments', 'coach_appointments', 'equipment', 'exercises', 'video_library', 'training_programs',
    'events', 'achievements', 'leaderboards', 'faq', 'voice_sessions', 'jarvis_interactions', 'member_feedback',
    'manager_notifications', 'manager_missions', 'outbox_messages'
  ] loop
    execute format('alter table public.%I enable row level security', t);
    execute format(
      'create policy manager_read on public.%I for select to authenticated '
      'using (gym_id in (select jarvis_private.managed_gym_ids()))', t);
  end loop;
end
$$;

alter table public.gyms enable row level security;
create policy manager_read on public.gyms for select to authenticated
  using (id in (select jarvis_private.managed_gym_ids()));

alter table public.gym_managers enable row level security;
create policy manager_read on public.gym_managers for select to authenticated
  using (gym_id in (select jarvis_private.managed_gym_ids()));

alter table public.nutrition_tips enable row level security;
create policy everyone_read on public.nutrition_tips for select to authenticated using (true);

create policy manager_update on public.manager_missions for update to authenticated
  using (gym_id in (select jarvis_private.managed_gym_ids()))
  with check (gym_id in (select jarvis_private.managed_gym_ids()));
create policy manager_update on public.manager_notifications for update to authenticated
  using (gym_id in (select jarvis_private.managed_gym_ids()))
  with check (gym_id in (select jarvis_private.managed_gym_ids()));
create policy manager_update on public.member_feedback for update to authenticated
  using (gym_id in (select jarvis_private.managed_gym_ids()))
  with check (gym_id in (select jarvis_private.managed_gym_ids()));

-- Supabase grants everything on new tables to anon by default; a kiosk or a browser without a manager session must
-- not read member data even if a policy is added carelessly later.
revoke all on all tables in schema public from anon;
alter default privileges in schema public revoke all on tables from anon;
-- Functions created later in public are the data API: service role only, even if a migration forgets
-- jarvis_private.lock_down_api().
alter default privileges in schema public revoke execute on functions from public, anon, authenticated;
alter default privileges in schema public grant execute on functions to service_role;
