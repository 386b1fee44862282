-- A sketch, not part of the product: the same admission's writes and reads as one PL/pgSQL
-- function, so a client needs one round trip (what a lean PostgreSQL admission path would
-- send). bench/admission.py creates it in its own schema and times it with pgbench
-- (admission_function_call.sql) to show the database-side ceiling of that design.
CREATE FUNCTION bench_admit(who int, r bigint, client int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  uid text;
  debit text;
  credit text;
  vid text := 'fn_' || client || '_' || r || '_' || txid_current();
BEGIN
  SELECT id INTO uid FROM bench_users WHERE n = who;
  PERFORM version FROM character_registry WHERE id = 1;
  PERFORM 1 FROM ledger_accounts
    WHERE code IN ('user:' || uid || ':granted', 'user:' || uid || ':owed',
                   'user:' || uid || ':purchased', 'user:' || uid || ':quota')
    ORDER BY id FOR UPDATE;
  PERFORM 1 FROM ledger_entries WHERE idempotency_key = 'quota:' || uid || ':' || current_date;
  SELECT id INTO debit FROM ledger_accounts WHERE code = 'user:' || uid || ':granted';
  SELECT id INTO credit FROM ledger_accounts WHERE code = 'platform:grants_spent';
  UPDATE ledger_accounts SET reserved = reserved + 1 WHERE id = debit;
  INSERT INTO ledger_holds (id, idempotency_key, fingerprint, debit_account_id,
                            credit_account_id, amount, posted_amount, status, kind, reason,
                            user_id, video_id, expires_at, created_at)
  VALUES ('hold_' || vid, 'video:' || vid || ':granted', md5(vid) || md5(uid), debit, credit,
          1, 0, 'pending', 'spend_granted', 'video (benchmark)', uid, vid,
          now() + interval '72 hours', now());
  INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json, seconds, size,
                      seed, price_units, status, progress, priority_class, queue_key, attempts,
                      cancel_requested, created_at)
  SELECT vid, uid, t.model, t.backend, t.prompt, t.storyboard_json, t.seconds, t.size, r,
         t.price_units, 'queued', 0, 'free', extract(epoch FROM now()), 0, false, now()
    FROM bench_template t;
  RETURN vid;
END $$;
