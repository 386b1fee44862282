-- pgbench script: one admission as one call of bench_admit (see admission_function.sql).
\set u random(0, :users - 1)
\set r random(1, 2000000000)
SELECT bench_admit(:u, :r, :client_id);
