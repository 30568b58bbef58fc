class HTTPError(Exception):
    """Raised by `Response.raise_for_status` for 4xx and 5xx answers."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class TimeoutError(HTTPError):
    """A connect, read or write phase took longer than its timeout."""

    def __init__(self, phase: str) -> None:
        super().__init__(f"{phase} timed out", 0)
        self.phase = phase
