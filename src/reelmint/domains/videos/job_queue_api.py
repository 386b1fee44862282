"""The job queue over the API, for administrators: what waits for the GPUs and what runs on
them (`GET /v1/admin/jobs`), and cancelling another's job, or every unfinished job of a
backend, saying why. Included by the videos router (/v1).

Thin routes: the service (job_queue.py) checks, authorises and changes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import AdminUser, ServicesDep
from reelmint.db.base import unix_time
from reelmint.domains.videos import job_queue as service
from reelmint.domains.videos.schemas import ErrorOut, VideoOut
from reelmint.domains.videos.service import video_json

router = APIRouter(tags=["job queue"], route_class=ApiRoute)

VideoId = Annotated[str, PathParam(description="The video's id (video_...).", max_length=64)]
BackendName = Annotated[str, PathParam(description="The backend (as in GET /v1/models).")]


class CancelJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Checked by the service (400 `invalid_reason`: one line of plain text), not here.
    reason: StrictStr = Field(
        description="Why: one line of plain text, 1-500 characters, that the owner reads in "
        "the app, by email and on their statement's refund."
    )


class BackendLoadOut(BaseModel):
    backend: str
    queued: int = Field(description="Jobs waiting for a worker.")
    running: int = Field(description="Jobs a worker is making now.")
    oldest_queued_at: int | None = Field(
        description="When the job waiting longest was queued (Unix seconds); null if none waits."
    )


class JobOut(BaseModel):
    id: str
    owner_id: str
    backend: str
    model: str
    status: Literal["queued", "in_progress"]
    priority_class: str = Field(description="free or paid: paid jobs get a head start.")
    price_units: int = Field(description="What admission reserved for it.")
    created_at: int
    started_at: int | None
    lease_owner: str | None = Field(description="The worker making it, while it runs.")
    attempts: int
    cancel_requested: bool = Field(description="Its worker was asked to stop.")


class JobQueueOut(BaseModel):
    object: Literal["job_queue"] = "job_queue"
    backends: list[BackendLoadOut] = Field(description="Every backend with unfinished jobs.")
    data: list[JobOut] = Field(description="Running jobs first, then queued ones in order.")
    has_more: bool = Field(description="More jobs wait than `limit` showed.")


class CancelledJobsOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[VideoOut] = Field(description="The jobs changed: cancelled, or asked to stop.")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


def _job(video: Any) -> JobOut:
    return JobOut(
        id=video.id,
        owner_id=video.user_id,
        backend=video.backend,
        model=video.model,
        status=video.status,
        priority_class=video.priority_class,
        price_units=video.price_units,
        created_at=unix_time(video.created_at),
        started_at=unix_time(video.started_at) if video.started_at else None,
        lease_owner=video.lease_owner,
        attempts=video.attempts,
        cancel_requested=video.cancel_requested,
    )


@router.get(
    "/admin/jobs",
    response_model=JobQueueOut,
    summary="The job queue: what waits and what runs (administrators)",
    responses=_errors(400, 401, 403),
)
def job_queue(
    user: AdminUser,
    services: ServicesDep,
    backend: Annotated[
        str | None, Query(max_length=32, description="Only this backend's jobs.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_JOBS_SHOWN, description="Jobs to show.")] = 50,
) -> JobQueueOut:
    """Per backend, the jobs queued and running and the oldest wait; then the jobs, running
    ones first, then queued ones in the order the workers take them. 403 `admin_only` for
    anyone else."""
    with services.db.read() as db:
        queue = service.job_queue(db=db, actor=user, backend=backend, limit=limit)
        loads = [
            BackendLoadOut(
                backend=load.backend,
                queued=load.queued,
                running=load.running,
                oldest_queued_at=unix_time(load.oldest_queued_at)
                if load.oldest_queued_at
                else None,
            )
            for load in queue.backends
        ]
        return JobQueueOut(
            backends=loads, data=[_job(video) for video in queue.jobs], has_more=queue.has_more
        )


@router.post(
    "/admin/videos/{video_id}/cancel",
    response_model=VideoOut,
    summary="Cancel another's job, saying why (administrators)",
    responses=_errors(400, 401, 403, 404, 409),
)
def cancel_job(
    video_id: VideoId, body: CancelJobIn, user: AdminUser, services: ServicesDep
) -> VideoOut:
    """A queued job ends `cancelled` at once, its units back with the reason on the owner's
    statement; a running one's worker is asked to stop (it ends `cancelled` with the reason).
    The owner is told in the app and by email. Again: the job as it is. 409
    `video_finished` for a job that ended."""
    with services.db.write() as db:
        video = service.cancel_job(db=db, actor=user, video_id=video_id, reason=body.reason)
        return VideoOut.model_validate(video_json(db=db, video=video))


@router.post(
    "/admin/backends/{backend}/cancel-jobs",
    response_model=CancelledJobsOut,
    summary="Cancel every unfinished job of a backend, saying why (administrators)",
    responses=_errors(400, 401, 403),
)
def cancel_backend_jobs(
    backend: BackendName, body: CancelJobIn, user: AdminUser, services: ServicesDep
) -> CancelledJobsOut:
    """For a backend withdrawn or without GPUs: each of its queued jobs is cancelled and each
    running one asked to stop, as `POST /v1/admin/videos/{id}/cancel` does one; the jobs
    changed (none when it has none; jobs already being cancelled are left out)."""
    with services.db.write() as db:
        done = service.cancel_backend_jobs(db=db, actor=user, backend=backend, reason=body.reason)
        return CancelledJobsOut(
            data=[VideoOut.model_validate(video_json(db=db, video=video)) for video in done]
        )
