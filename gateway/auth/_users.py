"""Users come from the configuration file; passwords are checked against their argon2 hashes."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.auth._tokens import Principal
from gateway.config import UserConfig

__all__ = ["UserDirectory"]

# A hash of a random string, verified when the user does not exist so that timing does not
# reveal which user names are valid.
_DUMMY = PasswordHasher().hash("no-such-user-placeholder")


class UserDirectory:
    def __init__(self, users: Iterable[UserConfig]) -> None:
        self._users = {u.id: u for u in users}
        self._hasher = PasswordHasher()

    def get(self, user_id: str) -> UserConfig | None:
        return self._users.get(user_id)

    def authenticate(self, user_id: str, password: str) -> Principal | None:
        user = self._users.get(user_id)
        try:
            self._hasher.verify(user.password_hash if user else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        return Principal(user_id=user.id, role=user.role, name=user.name)
