-- Supabase compatibility for plain PostgreSQL.
--
-- On a Supabase project the roles anon / authenticated / service_role, the schema `auth` with `auth.uid()` and the
-- schema `extensions` already exist: every statement below is a no-op there. On a plain PostgreSQL (the embedded
-- server, a system server) it creates the minimal equivalent so that the same RLS policies work: PostgREST (or a test)
-- sets the role and the `request.jwt.claims` setting, and `auth.uid()` reads the JWT `sub` from it, as Supabase does.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

do $$
begin
  if not exists (select 1 from pg_namespace where nspname = 'auth') then
    create schema auth;
    grant usage on schema auth to anon, authenticated, service_role;
  end if;
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'auth' and p.proname = 'uid'
  ) then
    -- Same definition as Supabase's auth.uid().
    create function auth.uid() returns uuid
      language sql stable
      as $f$
        select coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $f$;
    grant execute on function auth.uid() to anon, authenticated, service_role;
  end if;
end
$$;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

create extension if not exists btree_gist with schema extensions;
create extension if not exists unaccent with schema extensions;
create extension if not exists pg_trgm with schema extensions;

-- Private schema: helpers and internal tables that PostgREST never exposes.
create schema if not exists jarvis_private;
revoke all on schema jarvis_private from public;
grant usage on schema jarvis_private to authenticated, service_role;
