"""pylti1p3's launch data store kept in the database (lms.LaunchValue)."""

from datetime import timedelta

from django.utils import timezone
from pylti1p3.launch_data_storage.cache import CacheDataStorage

from .models import LaunchValue

DEFAULT_LIFETIME = 3600
USED_LIFETIME = 86400  # longer than any id_token lives


class _DatabaseCache:
    """The three calls CacheDataStorage makes on a Django cache."""

    def get(self, key):
        row = LaunchValue.objects.filter(key=key, expires_at__gt=timezone.now()).first()
        return None if row is None else row.value

    def set(self, key, value, exp=None):
        now = timezone.now()
        LaunchValue.objects.filter(expires_at__lte=now).delete()
        LaunchValue.objects.update_or_create(key=key, defaults={
            "value": value, "expires_at": now + timedelta(seconds=exp or DEFAULT_LIFETIME)})

    def delete(self, key) -> bool:
        return LaunchValue.objects.filter(key=key).delete()[0] > 0


class DatabaseLaunchStorage(CacheDataStorage):
    def __init__(self, *args, **kwargs):
        self._cache = _DatabaseCache()
        super().__init__(*args, **kwargs)

    def get_session_cookie_name(self):
        # No "session-id" cookie binding the store to one browser: inside an LMS's frame
        # the browser may not send it. The state cookie still ties a launch to the browser
        # that began it, and launch ids are unguessable and single-use here.
        return None

    def nonce_consume(self, nonce: str) -> bool:
        """Delete the nonce the login step issued, remembering it was used; False if it was
        already used (a replay)."""
        if not self._cache.delete(self._prepare_key(f"lti1p3-nonce-{nonce}")):
            return False
        self._cache.set(self._prepare_key(f"lti1p3-used-nonce-{nonce}"), True, USED_LIFETIME)
        return True

    def nonce_was_used(self, nonce: str) -> bool:
        return self._cache.get(self._prepare_key(f"lti1p3-used-nonce-{nonce}")) is not None
