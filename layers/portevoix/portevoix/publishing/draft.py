"""A draft as a community manager writes it (YAML or JSON), validated with pydantic.

Its own module: the functions that never parse a draft (the publish workflow's
tasks) do not import pydantic at a cold start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from portevoix.core.config import _describe
from portevoix.core.errors import ConfigError


class MediaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    url: str = Field(pattern=r"^(https?|s3)://", description="A public URL, or s3:// (uploaded).")
    alt: str = ""
    mime: str = "image/jpeg"


class PollSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    options: list[str] = Field(min_length=2, max_length=10)
    minutes: int = Field(default=1440, ge=5, le=30 * 1440)
    question: str | None = Field(default=None, max_length=300)


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    text: str
    link: str | None = Field(default=None, pattern=r"^https?://")
    track: bool = Field(default=True, description="false: this variant's links go out as written")
    language: str | None = None
    media: list[MediaSpec] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    poll: PollSpec | None = None


class Draft(BaseModel):
    """What a community manager writes (YAML or JSON)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    author: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    title: str = ""
    campaign: str | None = Field(
        default=None, max_length=80, description="utm_campaign of its links (default: the title)"
    )
    at: datetime | None = Field(
        default=None, description="Local time in the brand's zone; now if absent."
    )
    variants: dict[str, VariantSpec] = Field(min_length=1)

    @field_validator("variants")
    @classmethod
    def _texts(cls, v: dict[str, VariantSpec]) -> dict[str, VariantSpec]:
        for name, variant in v.items():
            if not variant.text.strip():
                raise ValueError(f"the {name} variant has no text")
        return v


def parse_draft(data: Any, config: Any, source: str = "post") -> Draft:
    try:
        draft = Draft.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(e) for e in exc.errors()]) from None
    known = {a.key for a in config.accounts}
    unknown = sorted(set(draft.variants) - known)
    if unknown:
        raise ConfigError(
            source,
            [f"variants.{u}: no account with this id (known: {sorted(known)})" for u in unknown],
        )
    return draft
