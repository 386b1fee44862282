-- pgbench script: the statements one admission sends today (SQLAlchemy's unit of work, seven
-- round trips with BEGIN and COMMIT, once the day's quota grant and the platform account's id
-- are known to the process), with no Python in between. bench/admission.py runs it to
-- show what the database alone allows for this shape of transaction. Table bench_users(n, id)
-- numbers the benchmark's users; :client_id keeps ids apart between clients.
\set u random(0, :users - 1)
\set r random(1, 2000000000)
BEGIN;
SELECT character_registry.version FROM character_registry WHERE character_registry.id = 1;
SELECT id, code, kind, user_id, allow_negative, balance, reserved, created_at
  FROM ledger_accounts
 WHERE code IN (SELECT 'user:' || id || ':' || k FROM bench_users,
                       unnest(ARRAY['granted', 'owed', 'purchased', 'quota']) AS k WHERE n = :u)
 ORDER BY id FOR UPDATE;
INSERT INTO ledger_holds (id, idempotency_key, fingerprint, debit_account_id, credit_account_id,
                          amount, posted_amount, status, kind, reason, user_id, video_id,
                          expires_at, created_at)
SELECT 'hold_sql_' || :client_id || '_' || :r || '_' || txid_current(),
       'video:sql_' || :client_id || '_' || :r || '_' || txid_current() || ':granted',
       md5(:r::text) || md5(:client_id::text), a.id, p.id, 1, 0, 'pending', 'spend_granted',
       'video (benchmark)', b.id, 'sql_' || :client_id || '_' || :r || '_' || txid_current(),
       now() + interval '72 hours', now()
  FROM bench_users b
  JOIN ledger_accounts a ON a.code = 'user:' || b.id || ':granted'
  JOIN ledger_accounts p ON p.code = 'platform:grants_spent'
 WHERE b.n = :u
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING *;
UPDATE ledger_accounts SET reserved = reserved + 1
 WHERE code = (SELECT 'user:' || id || ':granted' FROM bench_users WHERE n = :u);
INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json, seconds, size, seed,
                    price_units, status, progress, priority_class, queue_key, attempts,
                    cancel_requested, created_at)
SELECT 'sql_' || :client_id || '_' || :r || '_' || txid_current(), b.id, t.model, t.backend,
       t.prompt, t.storyboard_json, t.seconds, t.size, :r, t.price_units, 'queued', 0, 'free',
       extract(epoch FROM now()), 0, false, now()
  FROM bench_users b, bench_template t
 WHERE b.n = :u;
COMMIT;
