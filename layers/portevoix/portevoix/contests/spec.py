"""A contest as a member declares it, validated with pydantic.

Its own module: the 15-minute run, which reads contests, does not import
pydantic at a cold start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from portevoix.core.config import _describe
from portevoix.core.errors import ConfigError


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    hashtag: str | None = Field(default=None, pattern=r"^#?[\w]{1,100}$")
    tag_friends: int = Field(default=0, ge=0, le=10)
    repost: bool = Field(default=False, description="Also repost the post (where it shows).")


class Spec(BaseModel):
    """A contest as a member declares it (YAML, or the studio's form)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)
    title: str = Field(min_length=1, max_length=120)
    posts: list[str] = Field(
        min_length=1,
        description="Porte-voix post ids (every account it went out on) or ACCOUNT:REF.",
    )
    starts: datetime = Field(description="Local time in the brand's zone.")
    ends: datetime
    entry: Entry = Field(default_factory=Entry)
    exclude: list[str] = Field(default_factory=list, description="Handles that cannot win.")
    min_account_age_days: int | None = Field(default=None, ge=1, le=3650)
    winners: int = Field(default=1, ge=1, le=100)
    substitutes: int = Field(default=0, ge=0, le=100)
    rules_url: str = Field(pattern=r"^https://\S+$")
    late_minutes: int = Field(
        default=60,
        ge=0,
        le=1440,
        description="Replies written before the end are still read this long after it.",
    )
    winner_message: str | None = Field(
        default=None,
        max_length=1000,
        description="What each winner is told ({{ handle }}, {{ title }}, {{ rules_url }}).",
    )

    @field_validator("exclude")
    @classmethod
    def _handles(cls, v: list[str]) -> list[str]:
        return [h.strip().lstrip("@").lower() for h in v if h.strip()]


def validate(data: Any, source: str) -> Spec:
    """``data`` as a Spec, or a ConfigError naming each faulty field."""
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(e) for e in exc.errors()]) from None
