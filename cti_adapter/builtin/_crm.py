"""`BuiltinCrm`: the embedded default CRM, kept in Helpline's own database (SQLite or PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from cti_adapter._contract import (
    DEFAULT_LEVELS,
    Activity,
    Case,
    CaseAttachment,
    CaseStatus,
    Customer,
    CustomerMatch,
    Entitlement,
    Lookup,
    NewCase,
    best_entitlement,
)
from cti_adapter.builtin import _cases, _customers
from cti_adapter.builtin._db import Clock, EngineSource, transaction, utc_now
from cti_adapter.builtin._values import CaseQuery, CustomerChanges, CustomerQuery, NewCustomer, NewEntitlement
from cti_adapter.errors import InvalidCrmData

__all__ = ["DEFAULT_LEVELS", "BuiltinCrm"]

logger = logging.getLogger("helpline.cti")

_ATTACH_ATTEMPTS = 3


class BuiltinCrm:
    """Accounts, contacts, entitlements, cases and activities in the gateway's database.

    Implements `CrmAdapter`, plus the create/read/update/search the REST API and the importer need.
    `engine` is an AsyncEngine or a callable returning the started one (e.g. `lambda: database.engine`);
    the schema comes from the gateway's migrations.
    """

    def __init__(
        self,
        engine: EngineSource,
        *,
        default_region: str = "GB",
        levels: Sequence[str] = DEFAULT_LEVELS,
        clock: Clock = utc_now,
    ) -> None:
        if len(default_region) != 2 or not default_region.isalpha():
            raise ValueError(f"crm: default_region must be a two-letter country code, got {default_region!r}")
        self._engine = engine
        self._region = default_region.upper()
        self._levels = tuple(level.lower() for level in levels)
        self._clock = clock

    @property
    def default_region(self) -> str:
        return self._region

    # -- the adapter contract

    async def find_customer(self, by: Lookup) -> CustomerMatch | None:
        async with transaction(self._engine) as connection:
            return await _customers.find(connection, by)

    async def entitlement(
        self, customer_id: str, product: str | None = None, at: datetime | None = None
    ) -> Entitlement | None:
        found = await self.entitlements(customer_id)
        return best_entitlement(found, product, at or self._clock(), self._levels)

    async def open_cases(self, customer_id: str) -> Sequence[Case]:
        async with transaction(self._engine) as connection:
            customer = await _customers.get(connection, customer_id)
            return await _cases.unclosed(connection, customer.account_id)

    async def open_case(self, new: NewCase) -> Case:
        async with transaction(self._engine) as connection:
            customer = await _customers.get(connection, new.customer_id)
            try:
                return await _cases.insert(connection, customer, new, self._clock())
            except IntegrityError:
                raise InvalidCrmData(
                    "subject", f"account {customer.account_id!r} already has an unclosed case {new.subject!r}"
                ) from None

    async def attach_case(self, new: NewCase) -> CaseAttachment:
        for attempt in range(1, _ATTACH_ATTEMPTS + 1):
            try:
                async with transaction(self._engine) as connection:
                    customer = await _customers.get(connection, new.customer_id)
                    return await _cases.attach(connection, customer, new, self._clock())
            except IntegrityError:
                # Another attach opened the same subject first; the next attempt joins its case.
                logger.info(
                    "case attach for %s raced on %r (attempt %d)", new.customer_id, new.subject, attempt
                )
        raise InvalidCrmData("subject", f"could not attach {new.subject!r} after {_ATTACH_ATTEMPTS} attempts")

    async def log_activity(self, case_id: str, activity: Activity) -> None:
        async with transaction(self._engine) as connection:
            await _cases.append_activity(connection, case_id, activity, self._clock())

    async def link_transcript(self, case_id: str, interaction_id: str, transcript_url: str) -> None:
        async with transaction(self._engine) as connection:
            await _cases.link_transcript(connection, case_id, interaction_id, transcript_url, self._clock())

    async def update_case(
        self,
        case_id: str,
        *,
        disposition: str | None = None,
        notes: str | None = None,
        status: CaseStatus | None = None,
        subject: str | None = None,
        priority: int | None = None,
    ) -> Case:
        try:
            async with transaction(self._engine) as connection:
                return await _cases.change(
                    connection,
                    case_id,
                    self._clock(),
                    disposition=disposition,
                    notes=notes,
                    status=status,
                    subject=subject,
                    priority=priority,
                )
        except IntegrityError:
            raise InvalidCrmData(
                "status", f"case {case_id!r}: the account has another unclosed case on this subject"
            ) from None

    # -- customers

    async def create_customer(self, new: NewCustomer) -> Customer:
        """Raises DuplicateCustomer, InvalidPhoneNumber or InvalidCrmData and then stores nothing."""
        async with transaction(self._engine) as connection:
            return await _customers.insert(connection, new, self._region, self._clock())

    async def get_customer(self, customer_id: str) -> Customer:
        async with transaction(self._engine) as connection:
            return await _customers.get(connection, customer_id)

    async def update_customer(self, customer_id: str, changes: CustomerChanges) -> Customer:
        async with transaction(self._engine) as connection:
            return await _customers.set_fields(connection, customer_id, changes, self._region, self._clock())

    async def search_customers(self, query: CustomerQuery) -> list[Customer]:
        async with transaction(self._engine) as connection:
            return await _customers.search(connection, query, self._region)

    async def add_entitlement(self, customer_id: str, new: NewEntitlement) -> Entitlement:
        async with transaction(self._engine) as connection:
            customer = await _customers.get(connection, customer_id)
            return await _customers.add_entitlement(connection, customer.account_id, new)

    async def entitlements(self, customer_id: str) -> Sequence[Entitlement]:
        """Every entitlement of the customer's account, active or not, oldest start first."""
        async with transaction(self._engine) as connection:
            customer = await _customers.get(connection, customer_id)
            return await _customers.account_entitlements(connection, customer.account_id)

    # -- cases

    async def get_case(self, case_id: str) -> Case:
        async with transaction(self._engine) as connection:
            return await _cases.get(connection, case_id)

    async def search_cases(self, query: CaseQuery) -> list[Case]:
        async with transaction(self._engine) as connection:
            account_id = query.account_id
            if query.customer_id is not None:
                account_id = (await _customers.get(connection, query.customer_id)).account_id
            return await _cases.search(connection, query, account_id)

    async def activities(self, case_id: str) -> list[Activity]:
        async with transaction(self._engine) as connection:
            return await _cases.activities_of(connection, case_id)

    async def expire_recording(self, recording_url: str) -> int:
        """Mark the activities linking to a purged recording; returns how many were marked."""
        async with transaction(self._engine) as connection:
            return await _cases.expire_recording(connection, recording_url, self._clock())

    async def expire_transcript(self, transcript_url: str) -> int:
        """Mark the activities linking to a purged transcript; returns how many were marked."""
        async with transaction(self._engine) as connection:
            return await _cases.expire_transcript(connection, transcript_url, self._clock())
