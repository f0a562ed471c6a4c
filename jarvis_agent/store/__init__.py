"""The data layer: the SQL API of supabase/migrations behind one `Store` interface and two transports."""

from .base import Store
from .errors import Conflict, InvalidInput, NotFound, StoreError, Unavailable
from .services import ConfigurationError, database_url, open_store, redis_connection, redis_url

__all__ = [
    "ConfigurationError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "Store",
    "StoreError",
    "Unavailable",
    "database_url",
    "open_store",
    "redis_connection",
    "redis_url",
]
