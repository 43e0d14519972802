"""Exceptions raised by `cti_adapter`.

    CtiError                      base: a CRM operation failed
     ├── InvalidPhoneNumber       a number that cannot be read as E.164 (raw value, region)
     ├── InvalidCrmData           a value the CRM refuses: missing name, bad date, empty subject (field)
     ├── DuplicateCustomer        another contact already has this phone or e-mail (field, value)
     ├── CustomerNotFound         no customer with this id (customer_id)
     ├── CaseNotFound             no case with this id (case_id)
     ├── CrmUnavailable           the CRM did not answer in time, or with a server error (reason)
     ├── CrmRejected              the CRM refused the request for good: 4xx other than 408/429 (status)
     └── DialUnavailable          click-to-dial asked of a service with no dialer (no SIP front)

A lookup that finds nobody is not an error: it returns None.
"""

from __future__ import annotations

__all__ = [
    "CaseNotFound",
    "CrmRejected",
    "CrmUnavailable",
    "CtiError",
    "CustomerNotFound",
    "DialUnavailable",
    "DuplicateCustomer",
    "InvalidCrmData",
    "InvalidPhoneNumber",
]


class CtiError(Exception):
    """A CRM operation failed; subclasses carry the context a caller needs."""


class InvalidPhoneNumber(CtiError):
    """`raw` cannot be read as a phone number, even with `region` as the default country."""

    def __init__(self, raw: str, region: str, reason: str) -> None:
        super().__init__(f"phone number {raw!r} (default region {region}): {reason}")
        self.raw = raw
        self.region = region
        self.reason = reason


class InvalidCrmData(CtiError):
    """A value the CRM cannot store; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class DuplicateCustomer(CtiError):
    """Another record already holds `value` in `field` (phone, email, account_number)."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"a customer with {field} {value!r} already exists")
        self.field = field
        self.value = value


class CustomerNotFound(CtiError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no customer {customer_id!r}")
        self.customer_id = customer_id


class CaseNotFound(CtiError):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"no case {case_id!r}")
        self.case_id = case_id


class CrmUnavailable(CtiError):
    """The CRM is down, slow or failing; the operation may succeed later. `timed_out`: it did not answer
    within the request's timeout (as opposed to refusing the connection or answering with an error)."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(f"CRM unavailable: {reason}")
        self.reason = reason
        self.timed_out = timed_out


class CrmRejected(CtiError):
    """The CRM answered that this request will never succeed as sent; retrying is pointless."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"CRM rejected the request ({status}): {reason}")
        self.status = status
        self.reason = reason


class DialUnavailable(CtiError):
    """Click-to-dial was asked of a service that has no dialer: nothing here can place calls."""
