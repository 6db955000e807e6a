#pragma once

// The cluster tables and the lease reaper function as the store's migrations define them
// (docs/team-server.md), with an executions table reduced to the columns the cluster uses:
// lets tst_clusternode exercise ClusterNode on its own, without the server's store.
#include <QString>

namespace clusterschema {

inline QString ddl()
{
    return QStringLiteral(R"SQL(
CREATE TABLE executions (id text PRIMARY KEY, status text NOT NULL, instance_id text,
  error_message text, completed_at timestamptz(3));
CREATE TABLE execution_steps (id text PRIMARY KEY, execution_id text NOT NULL, status text NOT NULL,
  error_message text, completed_at timestamptz(3));
CREATE TABLE server_instances (id text PRIMARY KEY, name text NOT NULL,
  started_at timestamptz(3) NOT NULL DEFAULT now(), heartbeat_at timestamptz(3) NOT NULL DEFAULT now(),
  lease_ms integer NOT NULL, stopped_at timestamptz(3));
CREATE TABLE execution_events (execution_id text NOT NULL, seq bigint NOT NULL, event text NOT NULL,
  terminal boolean NOT NULL DEFAULT false, created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (execution_id, seq));
CREATE FUNCTION agentstudio_interrupt_expired() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE r record; msg text; next_seq bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('agentstudio:reaper', 0)) THEN RETURN; END IF;
  FOR r IN SELECT x.id, coalesce(i.name, x.instance_id) AS who FROM executions x
             LEFT JOIN server_instances i ON i.id = x.instance_id
            WHERE x.status IN ('queued', 'running') AND x.instance_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM server_instances l WHERE l.id = x.instance_id
                    AND l.stopped_at IS NULL AND l.heartbeat_at > now() - l.lease_ms * interval '1 ms')
            FOR UPDATE OF x LOOP
    msg := 'interrupted: instance ' || r.who || ' stopped renewing its lease';
    UPDATE executions SET status = 'interrupted', error_message = msg, completed_at = now() WHERE id = r.id;
    UPDATE execution_steps SET status = 'interrupted', completed_at = now()
     WHERE execution_id = r.id AND status = 'running';
    SELECT coalesce(max(seq), 0) + 1 INTO next_seq FROM execution_events WHERE execution_id = r.id;
    INSERT INTO execution_events (execution_id, seq, event, terminal) VALUES (r.id, next_seq,
      json_build_object('type', 'complete', 'execution_id', r.id, 'seq', next_seq,
                        'status', 'interrupted', 'error_message', msg)::text, true);
    PERFORM pg_notify('agentstudio_events', json_build_object('execution_id', r.id, 'seq', next_seq)::text);
    RETURN NEXT r.id;
  END LOOP;
END $$;
)SQL");
}

} // namespace clusterschema
