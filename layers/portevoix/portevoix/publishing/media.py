"""Images of posts in the stack's bucket: presigned uploads, checked by their bytes.

The browser posts the file straight to the bucket with a presigned POST whose
policy fixes the key, the type and the size; the file is then checked by its
first bytes (a name or a declared type proves nothing) and removed when it
lies. A post refers to its images as ``s3://bucket/key``: publishing reads the
bytes from the bucket, and networks that pull media by URL get a presigned
GET valid one hour.
"""

from __future__ import annotations

import re
import secrets as _random
from datetime import UTC, datetime
from typing import Any

from portevoix.core import aws, settings
from portevoix.core.errors import MediaError

MAX_BYTES = 8 * 1024 * 1024
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
UPLOAD_SECONDS = 600
_KEY = re.compile(r"^media/\d{4}-\d{2}-\d{2}/[\w-]{20,64}\.(jpg|png|webp|gif)$")


def sniff(head: bytes) -> str | None:
    """The image type its first bytes say, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _bucket() -> str:
    bucket = settings.data_bucket()
    if not bucket:
        raise MediaError("DATA_BUCKET is not set: no bucket for images")
    return bucket


def _presigner() -> Any:
    """An S3 client whose URLs a browser can reach (locally: the moto server)."""
    endpoint = settings.media_endpoint()
    return aws.client("s3") if not endpoint else _public_client(endpoint)


def _public_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))


def origin() -> str:
    """Where presigned URLs point (for the pages' Content-Security-Policy); "" without a bucket."""
    bucket = settings.data_bucket()
    if not bucket:
        return ""
    url = _presigner().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "x"}, ExpiresIn=60
    )
    match = re.match(r"^(https?://[^/]+)", url)
    return match.group(1) if match else ""


THUMB_BYTES = 512 * 1024


def thumb_key(key: str) -> str:
    """Where the preview-sized copy of an image goes (the browser makes it: a canvas JPEG)."""
    return key.rsplit(".", 1)[0] + "-t.jpg"


def presign(
    mime: str, size: int, now: datetime | None = None, *, thumb_of: str | None = None
) -> dict[str, Any]:
    """A presigned POST for one image of ``mime`` and ``size`` bytes (or its thumbnail)."""
    if thumb_of is not None:
        if not valid_key(thumb_of) or mime != "image/jpeg" or not 0 < size <= THUMB_BYTES:
            raise MediaError("a thumbnail is a JPEG of at most 512 KB for an uploaded image")
        key, limit = thumb_key(thumb_of), THUMB_BYTES
    else:
        if mime not in TYPES:
            raise MediaError(
                f"{mime or 'this file'} is not an accepted image type (JPEG, PNG, WebP, GIF)"
            )
        if not 0 < size <= MAX_BYTES:
            raise MediaError(
                f"the image is {size} bytes; the limit is {MAX_BYTES // (1024 * 1024)} MB"
            )
        now = now or datetime.now(UTC)
        key = f"media/{now:%Y-%m-%d}/{_random.token_urlsafe(18)}.{TYPES[mime]}"
        limit = MAX_BYTES
    form = _presigner().generate_presigned_post(
        Bucket=_bucket(),
        Key=key,
        Fields={"Content-Type": mime},
        Conditions=[{"Content-Type": mime}, ["content-length-range", 1, limit]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {"url": form["url"], "fields": form["fields"], "key": key}


def verify(key: str) -> dict[str, Any]:
    """Check an uploaded image by its bytes; a liar is deleted. Its reference and type."""
    from botocore.exceptions import ClientError

    if not _KEY.match(key or ""):
        raise MediaError("this is not an image uploaded here")
    s3, bucket = aws.client("s3"), _bucket()
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        raise MediaError("the image was not uploaded (or has expired): add it again") from None
    size = int(head.get("ContentLength") or 0)
    claimed = head.get("ContentType", "")
    first = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-31")["Body"].read()
    found = sniff(first)
    problem = None
    if size > MAX_BYTES:
        problem = f"the image is {size} bytes; the limit is {MAX_BYTES // (1024 * 1024)} MB"
    elif found is None:
        problem = "the file is not an image (JPEG, PNG, WebP or GIF) whatever its name says"
    elif found != claimed or not key.endswith("." + TYPES[found]):
        problem = f"the file says it is {claimed} but its bytes are {found}"
    if problem:
        s3.delete_object(Bucket=bucket, Key=key)
        raise MediaError(problem)
    return {"url": f"s3://{bucket}/{key}", "mime": found, "size": size, "key": key}


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key or ""))


def view_url(key: str, seconds: int = 600) -> str:
    """A short-lived URL to show (or let a network pull) an uploaded image."""
    if not _KEY.match(key or ""):
        raise MediaError("this is not an image uploaded here")
    return _presigner().generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(), "Key": key}, ExpiresIn=seconds
    )


def read(url: str) -> tuple[bytes, str]:
    """The bytes and type of an ``s3://`` image of a post."""
    match = re.match(r"^s3://([^/]+)/(.+)$", url)
    if not match:
        raise MediaError(f"{url!r} is not an s3:// reference")
    obj = aws.client("s3").get_object(Bucket=match.group(1), Key=match.group(2))
    data = obj["Body"].read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise MediaError("the image is over the size limit")
    return data, sniff(data[:32]) or obj.get("ContentType", "application/octet-stream")


def key_of(url: str) -> str | None:
    match = re.match(r"^s3://[^/]+/(.+)$", url or "")
    return match.group(1) if match else None
