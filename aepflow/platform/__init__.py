"""The one door to AEP: the Platform client and its errors."""

from aepflow.errors import (
    AuthenticationError,
    NotFound,
    OutcomeUnknown,
    PlatformError,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TransportError,
)
from aepflow.platform.client import Credentials, PlatformClient, RetryPolicy

__all__ = [
    "AuthenticationError",
    "Credentials",
    "NotFound",
    "OutcomeUnknown",
    "PlatformClient",
    "PlatformError",
    "PreconditionFailed",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "TransportError",
]
