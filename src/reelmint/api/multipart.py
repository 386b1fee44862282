"""Reading multipart/form-data image uploads under hard caps (the API and the pages alike).

Every multipart body the API reads itself goes through `parse_multipart`: Starlette's parser,
which also refuses a body cut off before its closing boundary (Starlette keeps the fields that
were complete and silently drops the unfinished last one, so a truncated request would run
without a field the client sent).

The body is refused (413) as soon as it is longer than the form can legitimately be (the
text fields plus the most images of the largest size), before it is parsed; each file is
refused as soon as its size is known to be over the image limit; the count of files and
fields is capped by the parser. Files are saved into a folder the caller owns (a temporary
one), under names we make: the client's file name is kept only for messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from reelmint.domains.uploads import ImageRules, ImageUpload, check_image_size, too_many_images
from reelmint.errors import BadRequest, ServiceError, TooLarge

FIELD_ALLOWANCE = 64 * 1024  # the text fields and the parts' headers
MAX_FIELD_BYTES = 16 * 1024
MAX_FIELDS = 24
PART_OVERHEAD = 1024  # a file part's headers
COPY_CHUNK = 256 * 1024


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


@dataclass(frozen=True)
class FormSpec:
    """The fields an image form takes besides its files.

    `fields` are named in the unknown-field message, each given at most once, except those in
    `repeatable`, which may be sent several times (also as `name[]`) and are collected in
    order. `extra_fields` are accepted without being advertised (a page's CSRF token).
    `media_hint` is the 415 message for a body that is not multipart/form-data.
    """

    fields: tuple[str, ...]
    media_hint: str
    repeatable: tuple[str, ...] = ()
    extra_fields: tuple[str, ...] = ()


@dataclass
class ImageForm:
    """An image form as received: its text fields, the repeated ones, and the uploaded
    images (in the caller's folder)."""

    fields: dict[str, str] = field(default_factory=dict)
    repeated: dict[str, list[str]] = field(default_factory=dict)
    images: list[ImageUpload] = field(default_factory=list)


async def read_image_form(
    request: Request, *, folder: Path, rules: ImageRules, spec: FormSpec
) -> ImageForm:
    """Read a multipart form of `rules.param` files and `spec` fields under hard size caps;
    the images are saved in `folder`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise UnsupportedMediaType(spec.media_hint)
    limit = FIELD_ALLOWANCE + rules.max_count * (rules.max_bytes + PART_OVERHEAD)
    hint = "send fewer or smaller images"
    try:
        form = await parse_multipart(
            request.headers,
            capped(request, limit, hint=hint, param=rules.param),
            max_files=rules.max_count,
            max_fields=MAX_FIELDS,
            max_part_size=MAX_FIELD_BYTES,
        )
    except MultiPartException as exc:
        raise _multipart_refusal(exc.message, rules) from None
    try:
        result = ImageForm()
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                await _save_image(result, name, value, folder, rules)
            else:
                _add_field(result, name, value, spec, rules)
        return result
    finally:
        await form.close()


class _EndCheckingParser(MultiPartParser):
    """Starlette's multipart parser, noting whether the closing boundary arrived (python-
    multipart calls `on_end` when it reads it, and only then)."""

    ended = False

    def on_end(self) -> None:
        self.ended = True


async def parse_multipart(
    headers: Headers,
    stream: AsyncIterator[bytes],
    *,
    max_files: int,
    max_fields: int,
    max_part_size: int,
) -> FormData:
    """A multipart/form-data body's parts, as Starlette's `MultiPartParser` reads them; a body
    that ends before its closing boundary (`--BOUNDARY--`) is refused with
    `MultiPartException`, as any body the parser cannot read is, instead of being taken
    without its unfinished last part."""
    parser = _EndCheckingParser(
        headers,
        stream,
        max_files=max_files,
        max_fields=max_fields,
        max_part_size=max_part_size,
    )
    form = await parser.parse()
    if not parser.ended:
        await form.close()
        raise MultiPartException(_cut_off_message(headers))
    return form


def cut_off_multipart(headers: Headers, body: bytes) -> str | None:
    """For a whole multipart/form-data body already read (a page's form), what is wrong if it
    ends before its closing boundary, as `parse_multipart` refuses one; None for a body that
    is whole, or not multipart (a body without a boundary is left to the parser to refuse)."""
    media_type, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if media_type != b"multipart/form-data" or not boundary:
        return None
    closing = b"--" + boundary + b"--"
    if body.startswith(closing) or b"\r\n" + closing in body:
        return None
    return _cut_off_message(headers)


def _cut_off_message(headers: Headers) -> str:
    return (
        f"the body ended before its closing boundary ({_closing_boundary(headers)}), so "
        "its last part may be cut short; send the whole body"
    )


def _closing_boundary(headers: Headers) -> str:
    """The line that ends the body, as its Content-Type's boundary makes it (cut short)."""
    _, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"").decode("latin-1")
    shown = "".join(ch for ch in boundary[:70] if ch.isprintable())
    return f"--{shown}--" if shown else "the line --BOUNDARY--"


def _multipart_refusal(message: str, rules: ImageRules) -> BadRequest:
    if "Too many files" in message:
        return too_many_images(rules)
    return BadRequest(
        f"the multipart/form-data body cannot be read: {message}", code="invalid_multipart"
    )


async def capped(
    request: Request, limit: int, *, hint: str, param: str | None = None
) -> AsyncIterator[bytes]:
    """The request body, refused (413 `too_large`, ending with `hint`) as soon as it is
    longer than `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise too_large(limit, hint, param)  # 19 digits or more: over any limit, past int()
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(limit, hint, param)
        yield chunk


def too_large(limit: int, hint: str, param: str | None) -> TooLarge:
    """413 `too_large`: the body is over `limit` bytes; `hint` says what to send instead."""
    return TooLarge(
        f"the request body is larger than {limit} bytes; {hint}", code="too_large", param=param
    )


async def _save_image(
    form: ImageForm, name: str, upload: UploadFile, folder: Path, rules: ImageRules
) -> None:
    if name != rules.param:
        raise BadRequest(
            f"unexpected file field {name[:40]!r}; send the images as {rules.param}",
            code="unknown_parameter",
            param=name[:40],
        )
    label = safe_file_name(upload.filename, f"image {len(form.images) + 1}")
    check_image_size(rules=rules, name=label, size=upload.size or 0)
    target = folder / f"upload-{len(form.images)}"
    await run_in_threadpool(copy_upload, upload, target)
    form.images.append(ImageUpload(path=target, name=label))


def copy_upload(upload: UploadFile, target: Path) -> None:
    """Copy an uploaded file (spooled by the parser) to `target`."""
    upload.file.seek(0)
    with target.open("wb") as out:
        while chunk := upload.file.read(COPY_CHUNK):
            out.write(chunk)


def safe_file_name(name: str | None, fallback: str) -> str:
    """The client's file name for messages: no folders, printable, at most 80 characters."""
    base = Path(name or "").name
    printable = "".join(ch for ch in base if ch.isprintable())[:80]
    return printable or fallback


def _add_field(form: ImageForm, name: str, value: str, spec: FormSpec, rules: ImageRules) -> None:
    if "\x00" in value:
        raise BadRequest(f"{name[:40]} holds a NUL character", code="invalid_request", param=name)
    plain = name.removesuffix("[]")
    if plain in spec.repeatable:
        form.repeated.setdefault(plain, []).append(value)
    elif name not in (*spec.fields, *spec.extra_fields):
        files = f"{rules.param} (files)"
        known = f"the fields are {', '.join(spec.fields)} and {files}" if spec.fields else ""
        raise BadRequest(
            f"unknown field {name[:40]!r}; {known or 'send only ' + files}",
            code="unknown_parameter",
            param=name[:40],
        )
    elif name in form.fields:
        raise BadRequest(
            f"the field {name!r} is given twice; give it once",
            code="duplicate_parameter",
            param=name,
        )
    else:
        form.fields[name] = value
