from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from notifications.clients import DeliveryError, EmailMessage, EmailProvider
from notifications.models import Digest, MessageStatus, OutboxMessage, Preference
from notifications.repositories import DigestRepository, OutboxRepository, PreferenceRepository
from notifications.schemas import DigestRunResult
from service_kit.clock import Clock, utcnow

__all__ = ["DigestService", "digest_is_due", "render_digest"]


def digest_is_due(preference: Preference, now: datetime, last: Digest | None) -> bool:
    """Due when it is the user's digest hour in their own time zone and no digest has
    gone out yet on that local day."""
    zone = ZoneInfo(preference.timezone)
    local = now.astimezone(zone)
    if local.hour != preference.digest_hour:
        return False
    return last is None or last.sent_at.astimezone(zone).date() != local.date()


def render_digest(messages: Sequence[OutboxMessage], local_day: str) -> tuple[str, str]:
    """Subject and plain-text body of a digest."""
    count = len(messages)
    noun = "notification" if count == 1 else "notifications"
    subject = f"Your daily digest for {local_day}: {count} {noun}"
    sections = [f"- {message.subject}\n  {message.body}" for message in messages]
    return subject, "\n\n".join(sections)


class DigestService:
    def __init__(
        self,
        preferences: PreferenceRepository,
        outbox: OutboxRepository,
        digests: DigestRepository,
        provider: EmailProvider,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.preferences = preferences
        self.outbox = outbox
        self.digests = digests
        self.provider = provider
        self.clock = clock

    async def run(self) -> DigestRunResult:
        now = self.clock()
        result = DigestRunResult()
        for preference in await self.preferences.list_digest_candidates():
            last = await self.digests.last_for_user(preference.user_id)
            if not digest_is_due(preference, now, last):
                continue
            messages = await self.outbox.list_pending_for_user(preference.user_id, until=now)
            if not messages:
                continue
            if await self._send(preference, messages, now):
                result.digests_sent += 1
                result.messages_included += len(messages)
            else:
                result.failed += 1
        await self.outbox.commit()
        return result

    async def _send(
        self, preference: Preference, messages: list[OutboxMessage], now: datetime
    ) -> bool:
        local_day = now.astimezone(ZoneInfo(preference.timezone)).date().isoformat()
        subject, text = render_digest(messages, local_day)
        email = EmailMessage(
            to=preference.email,
            subject=subject,
            text=text,
            # One digest per user and local day, however often the run is repeated.
            idempotency_key=f"digest:{preference.user_id}:{local_day}",
        )
        try:
            delivery = await self.provider.send(email)
        except DeliveryError as error:
            for message in messages:
                message.last_error = f"digest: {error.reason}"
            return False
        for message in messages:
            message.status = MessageStatus.SENT
            message.sent_at = now
            message.attempts += delivery.attempts
            message.last_error = None
        await self.digests.add(preference.user_id, now, len(messages))
        return True
