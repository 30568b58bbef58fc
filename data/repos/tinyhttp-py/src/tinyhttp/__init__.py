"""tinyhttp: a small, typed HTTP/1.1 client."""
from ._client import AsyncClient, Client
from ._exceptions import HTTPError, TimeoutError
from ._models import Response, Timeout
from ._api import get, post, request, stream

__all__ = ["AsyncClient", "Client", "HTTPError", "TimeoutError", "Response", "Timeout",
           "get", "post", "request", "stream"]
__version__ = "0.4.2"
