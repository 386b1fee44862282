"""Reports over the API: anyone signed in reports someone else's public video; administrators
list the open reports by video and dismiss them. Included by the videos router (/v1).

Thin routes: the service (reports.py) checks, authorises and changes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import AdminUser, CurrentUser, ServicesDep
from reelmint.db.base import unix_time
from reelmint.domains.videos import reports as service
from reelmint.domains.videos.models import REPORT_CATEGORIES
from reelmint.domains.videos.schemas import ErrorOut
from reelmint.domains.videos.service import prompt_label

router = APIRouter(tags=["reports"], route_class=ApiRoute)

VideoId = Annotated[str, PathParam(description="The video's id (video_...).", max_length=64)]
ReportId = Annotated[str, PathParam(description="The report's id (rpt_...).", max_length=64)]
UserId = Annotated[str, PathParam(description="The creator's id (user_...).", max_length=64)]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Checked by the service, so an unknown one is 400 `invalid_category` (as documented).
    category: StrictStr = Field(
        description="What is wrong: " + ", ".join(REPORT_CATEGORIES) + ".",
        json_schema_extra={"enum": list(REPORT_CATEGORIES)},
    )
    note: StrictStr = Field(
        default="",
        # Checked by the service (400 `invalid_note`: one line of plain text), not here.
        json_schema_extra={"maxLength": service.MAX_NOTE_CHARS},
        description="What the moderators should know, on one line (optional, at most "
        f"{service.MAX_NOTE_CHARS} characters).",
    )


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(  # checked by the service: 400 `invalid_reason`
        json_schema_extra={"maxLength": service.MAX_REASON_CHARS},
        description="Why, on one line: each reporter reads it.",
    )
    all: StrictBool = Field(
        default=False, description="Dismiss every open report of the report's video."
    )


class ReportOut(BaseModel):
    """A report. `reporter_id` and `resolved_by` are shown to administrators only."""

    id: str
    object: Literal["video.report"] = "video.report"
    video_id: str
    category: str
    note: str
    status: str = Field(
        description="open, dismissed, actioned (the video was taken down) or deleted (its "
        "creator deleted the video before the moderators reviewed it)."
    )
    created_at: int
    resolved_at: int | None
    resolution_note: str | None = Field(description="Why it was dismissed or closed.")
    reporter_id: str | None = None
    resolved_by: str | None = None


class ReportList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ReportOut]


class CreatorRecordOut(BaseModel):
    """What the moderators have seen of a creator before, over all their videos."""

    taken_down: int = Field(description="Their videos taken down by the moderators.")
    deleted_while_reported: int = Field(
        description="Videos they deleted while reports of them were open (before review)."
    )
    reports_dismissed: int = Field(description="Reports of their videos the moderators dismissed.")
    reports_filed: int = Field(description="Reports of their videos in all, open ones included.")

    @classmethod
    def of(cls, record: service.CreatorRecord) -> CreatorRecordOut:
        return cls(
            taken_down=record.taken_down,
            deleted_while_reported=record.deleted_while_reported,
            reports_dismissed=record.reports_dismissed,
            reports_filed=record.reports_filed,
        )


class ReportedVideoOut(BaseModel):
    """A video with open reports, and the newest of them."""

    object: Literal["video.reported"] = "video.reported"
    video_id: str
    prompt: str = Field(description="The start of the video's prompt.")
    owner_id: str
    published: bool
    creator_suspended: bool = Field(
        description="Its creator is suspended: nobody else sees the video while that lasts."
    )
    creator_record: CreatorRecordOut = Field(
        description="The creator's record, all their videos counted: GET "
        "/v1/admin/users/{owner_id}/reports lists those reports."
    )
    open_reports: int
    categories: dict[str, int] = Field(description="Open reports per category, most first.")
    newest_report_at: int
    reports: list[ReportOut] = Field(
        description=f"The newest {service.REPORTS_SHOWN_PER_VIDEO} open reports."
    )

    @classmethod
    def of(cls, found: service.ReportedVideo) -> ReportedVideoOut:
        video = found.video
        return cls(
            video_id=video.id,
            prompt=prompt_label(video),
            owner_id=video.user_id,
            published=video.published_at is not None,
            creator_suspended=found.creator_suspended,
            creator_record=CreatorRecordOut.of(found.creator_record),
            open_reports=found.open_reports,
            categories=found.categories,
            newest_report_at=unix_time(found.newest_at),
            reports=[_out(report, staff=True) for report in found.reports],
        )


class ReportQueueOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ReportedVideoOut]
    has_more: bool = Field(description="More videos wait than `limit` showed.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `after` for the next page (null on the last)."
    )


class ReportAgainstOut(ReportOut):
    """A report of one of the creator's videos, with what became of that video."""

    video_prompt: str = Field(description="The start of the video's prompt.")
    video_state: Literal["public", "not_public", "taken_down", "deleted"]


class CreatorReportsOut(BaseModel):
    object: Literal["list"] = "list"
    user_id: str
    record: CreatorRecordOut
    data: list[ReportAgainstOut]
    has_more: bool
    next_cursor: str | None = Field(description="Pass as `after` for the next page.")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


def _out(report: Any, *, staff: bool = False) -> ReportOut:
    return ReportOut.model_validate(service.report_json(report, staff=staff))


@router.post(
    "/videos/{video_id}/reports",
    response_model=ReportOut,
    status_code=201,
    summary="Report a video to the moderators",
    responses={200: {"model": ReportOut, "description": "Your open report, reported again."}}
    | _errors(400, 401, 403, 404, 409, 429),
)
def report(
    video_id: VideoId, body: ReportIn, user: CurrentUser, services: ServicesDep
) -> JSONResponse:
    """Report someone else's public video (201). While your report of it is open, reporting
    it again returns that report unchanged (200). 403 `cannot_report_own_video`; 404
    `video_not_found` for a video not shown publicly; 429 `report_limit_reached` past
    REELMINT_REPORT_DAILY_LIMIT reports in 24 hours. The video's owner is never told who
    reported it."""
    with services.db.write() as db:
        filed = service.report_video(
            db=db,
            settings=services.settings,
            actor=user,
            video_id=video_id,
            category=body.category,
            note=body.note,
        )
        shown = _out(filed.report).model_dump(mode="json", exclude={"reporter_id", "resolved_by"})
    return JSONResponse(shown, status_code=201 if filed.created else 200)


@router.get(
    "/admin/reports",
    response_model=ReportQueueOut,
    summary="Open reports, by video (administrators)",
    responses=_errors(400, 401, 403),
)
def report_queue(
    user: AdminUser,
    services: ServicesDep,
    limit: Annotated[
        int,
        Query(ge=1, le=service.MAX_QUEUE_PAGE, description="Videos to show, most reported first."),
    ] = 50,
    after: Annotated[
        str | None,
        Query(max_length=120, description="The previous page's `next_cursor`."),
    ] = None,
) -> ReportQueueOut:
    """The videos with open reports, most reported first, then the newest report first. Take
    one down (`POST /v1/admin/videos/{id}/take-down`: its reports become `actioned`) or
    dismiss its reports. Page on with `after=<next_cursor>` (400 `invalid_cursor` for a
    damaged one). 403 `admin_only` for anyone else."""
    with services.db.read() as db:
        queue = service.report_queue(db=db, actor=user, limit=limit, after=after)
        data = [ReportedVideoOut.of(found) for found in queue.videos]
    return ReportQueueOut(data=data, has_more=queue.has_more, next_cursor=queue.next_cursor)


@router.post(
    "/admin/reports/{report_id}/dismiss",
    response_model=ReportList,
    summary="Dismiss a report, or every open report of its video (administrators)",
    responses=_errors(400, 401, 403, 404, 409),
)
def dismiss(
    report_id: ReportId, body: DismissIn, user: AdminUser, services: ServicesDep
) -> ReportList:
    """The reports dismissed (each reporter told, with the reason); the report unchanged when
    it was dismissed already. 409 `report_actioned` for one whose video was taken down."""
    with services.db.write() as db:
        done = service.dismiss_report(
            db=db, actor=user, report_id=report_id, reason=body.reason, whole_video=body.all
        )
        return ReportList(data=[_out(report, staff=True) for report in done])


@router.get(
    "/admin/users/{user_id}/reports",
    response_model=CreatorReportsOut,
    summary="Every report of a creator's videos, and their record (administrators)",
    responses=_errors(400, 401, 403, 404),
)
def reports_against(
    user_id: UserId,
    user: AdminUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_QUEUE_PAGE)] = 50,
    after: Annotated[
        str | None,
        Query(max_length=128, description="The previous page's next_cursor, or a report id."),
    ] = None,
) -> CreatorReportsOut:
    """Every report of the creator's videos, newest first, whatever became of it: open,
    dismissed, actioned, or closed because the creator deleted the video before review (the
    video's state says `deleted`; its prompt stays readable). Their record counts the same.
    404 `user_not_found`; 403 `admin_only` for anyone else."""
    with services.db.read() as db:
        page = service.reports_against(db=db, actor=user, user_id=user_id, limit=limit, after=after)
        data = [_against(found) for found in page.reports]
    record = CreatorRecordOut.of(page.record)
    return CreatorReportsOut(
        user_id=page.creator.id,
        record=record,
        data=data,
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


def _against(found: service.ReportAgainst) -> ReportAgainstOut:
    shown = service.report_json(found.report, staff=True)
    state = service.video_state(found.video)
    return ReportAgainstOut(**shown, video_prompt=prompt_label(found.video), video_state=state)
