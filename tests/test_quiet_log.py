"""The quiet log: one line a second of each kind, a refusal's traceback cut to one line, real faults kept whole."""
import logging

from web.quiet_log import OncePerSecond, quiet


class InvalidPathError(Exception):
    """Named as Gradio's refusal of a path is."""


def records(logger: logging.Logger, emit) -> list[logging.LogRecord]:
    kept = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record)
    handler = Keep()
    logger.addHandler(handler)
    try:
        emit()
    finally:
        logger.removeHandler(handler)
    return kept


def test_a_flood_of_alike_lines_writes_one_a_second_and_each_kind_its_own():
    logger = logging.getLogger("test.quiet.flood")
    logger.addFilter(OncePerSecond())

    def flood():
        for i in range(1000):
            logger.warning("Invalid HTTP request received.")
            logger.warning("refused %s", i, extra={"kind": "error.value"})
        logger.warning("another kind")
    kept = records(logger, flood)
    assert [r.getMessage() for r in kept] == ["Invalid HTTP request received.", "refused 0", "another kind"]


def test_a_refusal_logs_one_line_and_a_fault_keeps_its_traceback():
    logger = logging.getLogger("test.quiet.traceback")
    logger.addFilter(OncePerSecond())

    def emit():
        for error in (InvalidPathError("/etc/passwd"), ZeroDivisionError("a bug")):
            try:
                raise error
            except Exception:
                logger.exception("Exception in ASGI application %s", type(error).__name__)
    refusal, fault = records(logger, emit)
    assert refusal.exc_info is None and refusal.getMessage().endswith(": InvalidPathError")
    assert fault.exc_info is not None


def test_quiet_adds_one_filter_however_often_it_is_called():
    quiet(("test.quiet.once",))
    quiet(("test.quiet.once",))
    assert sum(isinstance(f, OncePerSecond) for f in logging.getLogger("test.quiet.once").filters) == 1
