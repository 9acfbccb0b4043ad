"""The server's log under a flood: at most one line a second of each kind of line, and a refusal of what a client
sent logged as one line, never with its traceback. A flood of alike requests otherwise writes megabytes a minute."""
import logging
import math
import time

# Exceptions that are Gradio's or uvicorn's refusals of a client's request, not faults of the server
REFUSALS = ("InvalidPathError", "FnIndexInferError", "InvalidHTTPRequest", "RemoteProtocolError", "LocalProtocolError")
LOGGERS = ("uvicorn.error", "asyncio", "gradio", "web.door")  # where a client's requests can make lines


class OncePerSecond(logging.Filter):
    """Lets through one record a second of each kind (a record's `kind`, else its logger, message template and
    exception)."""

    def __init__(self, seconds: float = 1.0) -> None:
        super().__init__()
        self.seconds, self.last = seconds, {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether the record is written; a refusal's traceback is cut to its one line."""
        error = record.exc_info[1] if record.exc_info else None
        kind = getattr(record, "kind", None) or (record.name, str(record.msg)[:200], type(error).__name__)
        now = time.monotonic()
        if now - self.last.get(kind, -math.inf) < self.seconds:
            return False
        if len(self.last) > 10_000:  # kinds are few; a client that invents messages is not remembered for ever
            self.last.clear()
        self.last[kind] = now
        if error is not None and type(error).__name__ in REFUSALS:
            record.msg, record.args, record.exc_info = f"{record.getMessage()}: {type(error).__name__}", (), None
        return True


def quiet(loggers: tuple[str, ...] = LOGGERS) -> None:
    """Every one of these loggers passes its records through one OncePerSecond (once, however often called)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OncePerSecond) for f in logger.filters):
            logger.addFilter(OncePerSecond())
