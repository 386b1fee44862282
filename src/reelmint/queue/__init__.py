"""The job queue: the `videos` table itself, worked by any number of workers on any hosts.

A job's life: admission inserts it `queued` -> a worker leases it (`lease_next`: one write
transaction, `in_progress`, a VideoRun opened) -> the worker renews the lease (`heartbeat`)
while it works -> it ends in ONE transaction (`finish`): `completed`, `failed` or
`cancelled`. A worker that vanishes stops renewing; `reap_expired` then hands the job back to
the queue, or fails it with `worker_lost` once it has been interrupted `max_attempts` times. A
worker that shuts down cleanly hands its job back at once (`release`). A worker that cannot
reach the database as it ends tries `finish` again while its lease lasts: `finish` checks the
lease, so a retry ends nothing twice, and `recorded_end` tells a retry whose earlier try did
commit (its answer lost with the connection) what that try recorded.

Priority and aging: admission sets `queue_key` = submission time - `paid_head_start_seconds`
for paid work (free work gets no head start), and leasing takes the lowest key. A paid job
therefore overtakes free jobs submitted less than the head start before it, and no others: a
free job is never passed by paid work submitted more than `paid_head_start_seconds` after it,
so however much paid work arrives, free work waits at most that long behind it.

Fairness: a user never has more than `max_running_per_user` jobs running; their further
jobs wait while other users' jobs go first.
"""

from reelmint.queue.finish import (
    Cancelled,
    Completed,
    Failed,
    Outcome,
    any_expired,
    failure_for,
    finish,
    reap_expired,
    recorded_end,
    release,
)
from reelmint.queue.lease import HeartbeatOutcome, any_queued, heartbeat, lease_next, open_run

__all__ = [
    "Cancelled",
    "Completed",
    "Failed",
    "HeartbeatOutcome",
    "Outcome",
    "any_expired",
    "any_queued",
    "failure_for",
    "finish",
    "heartbeat",
    "lease_next",
    "open_run",
    "reap_expired",
    "recorded_end",
    "release",
]
