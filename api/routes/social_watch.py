"""The social watch: the registry and a campaign's reach per area and target group."""

from __future__ import annotations

from api.deps import CurrentUser, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.social_watch import SocialWatch
from services.app import social_watch as watch

router = Router(prefix="/v1/social-watch", tags=["social watch"])


@router.get("", response_model=SocialWatch)
async def social_watch(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, campaign_id: str | None = None
) -> SocialWatch:
    """Per region and province and per target group: households and people registered,
    eligible for the campaign and reached; the precarity scores' spread; the months, and
    whether registrations or precarity rose. Counts under 5 are null."""
    return SocialWatch.model_validate(await watch.social_watch(services, user, campaign_id))
