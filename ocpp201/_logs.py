"""Rate-limited logging of one peer's bad messages, and an endpoint's reports.

One job: a peer sending garbage must not be able to fill the log.  A
:class:`LogLimiter` lets ``burst`` lines through per ``window`` seconds and counts
the rest; the first line of the next window reports how many were suppressed.
:class:`EndpointLogs` gives an endpoint its logger and limiter, made on first use,
and reports what the core said about a reply (to the logs and the hooks);
:func:`cut_for_log` bounds a frame logged at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final, Literal

from ._errors import Problem, ValidationError
from ._events import SendReply, ValidationFailure
from ._hooks import Hooks
from ._rules import MAX_LISTED_PROBLEMS

__all__ = [
    "DEFAULT_LOG_BURST",
    "DEFAULT_LOG_WINDOW",
    "EndpointLogs",
    "LogLimiter",
    "cut_for_log",
]

DEFAULT_LOG_BURST: Final = 10
"""Lines about one peer's bad messages logged per window."""

DEFAULT_LOG_WINDOW: Final = 60.0
"""Seconds of one window."""


_LOGGED_DESCRIPTION_LENGTH: Final = 1000


def _bounded(description: str, count: int) -> str:
    """A problem summary cut for a log line, with the number of problems."""
    if len(description) <= _LOGGED_DESCRIPTION_LENGTH:
        return description
    return f"{description[:_LOGGED_DESCRIPTION_LENGTH]}... ({count} problems)"


class LogLimiter:
    """WARNING lines about one subject, at most ``burst`` per ``window`` seconds.

    The subject is one peer's messages by default; the server uses one limiter for
    the connections it refuses.
    """

    __slots__ = (
        "_burst",
        "_clock",
        "_count",
        "_logger",
        "_start",
        "_subject",
        "_suppressed",
        "_window",
    )

    def __init__(
        self,
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
        *,
        burst: int = DEFAULT_LOG_BURST,
        window: float = DEFAULT_LOG_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        subject: str = "this peer's messages",
    ) -> None:
        self._logger = logger
        self._subject = subject
        self._burst = burst
        self._window = window
        self._clock = clock
        self._start = float("-inf")
        self._count = 0
        self._suppressed = 0

    @property
    def suppressed(self) -> int:
        """Lines suppressed in the current window so far."""
        return self._suppressed

    def warning(self, message: str, *args: Any) -> None:
        """Log ``message % args`` at WARNING unless this window's budget is spent."""
        if not self._logger.isEnabledFor(logging.WARNING):
            return
        now = self._clock()
        if now - self._start >= self._window:
            if self._suppressed:
                self._logger.warning(
                    "%d more warning(s) about %s were suppressed in the last %g s",
                    self._suppressed,
                    self._subject,
                    self._window,
                )
            self._start, self._count, self._suppressed = now, 0, 0
        if self._count < self._burst:
            self._count += 1
            if self._count == self._burst:
                message += " (further warnings about %s are suppressed for %g s)"
                args = (*args, self._subject, self._window)
            self._logger.warning(message, *args)
        else:
            self._suppressed += 1


_LOGGED_FRAME_LENGTH: Final = 2000


def cut_for_log(message: str | bytes) -> str | bytes:
    """A frame as logged at DEBUG: at most 2000 characters, and the length."""
    if len(message) <= _LOGGED_FRAME_LENGTH:
        return message
    return f"{message[:_LOGGED_FRAME_LENGTH]!r}... ({len(message)} in all)"


class EndpointLogs:
    """An endpoint's logger (given, or ``ocpp201.rpc.<identity>``) and the limiter of
    its warnings about the peer, both made on first use (an idle endpoint holds
    neither), and its reports: what the core said about a reply, validation
    failures and hook calls, to the logs and the hooks."""

    identity: str
    hooks: Hooks
    _logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None
    _limiter: LogLimiter | None

    @property
    def logger(self) -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
        """The ``logger`` given, or the logger ``ocpp201.rpc.<identity>``."""
        if self._logger is None:
            self._logger = logging.getLogger(f"ocpp201.rpc.{self.identity}")
        return self._logger

    @logger.setter
    def logger(
        self, value: logging.Logger | logging.LoggerAdapter[logging.Logger]
    ) -> None:
        self._logger = value
        self._limiter = None

    @property
    def _bad_frames(self) -> LogLimiter:
        """Rate-limited warnings about this peer's bad messages."""
        if self._limiter is None:
            self._limiter = LogLimiter(self.logger)
        return self._limiter

    def _hook(self, hook: Callable[..., object] | None, *args: Any) -> None:
        """Call ``hook(endpoint, *args)``; what it raises is logged, never raised."""
        if hook is None:
            return
        try:
            hook(self, *args)
        except Exception:
            self.logger.exception("hook %r raised; ignored", hook)

    def _validation_failed(self, failure: ValidationFailure) -> None:
        """Log (bounded) and hook a validation failure: the peer's, or our own bug."""
        description = _bounded(failure.error.description, len(failure.error.problems))
        if failure.direction == "incoming":
            self._bad_frames.warning(
                "invalid %s %s from the peer (message id %s): %s",
                failure.action,
                failure.kind,
                failure.message_id,
                description,
            )
        else:
            self.logger.error(
                "our own %s %s is invalid (message id %s) -- a bug on this side, "
                "not the peer's: %s",
                failure.action,
                failure.kind,
                failure.message_id,
                description,
            )
        self._hook(self.hooks.validation_failed, failure)

    def _tolerated(
        self,
        kind: Literal["request", "response"],
        action: str,
        message_id: str,
        obj: object,
        tolerated: tuple[Problem, ...],
    ) -> None:
        """Report what tolerant decoding let through: one rate-limited WARNING
        line and one ``validation_failed`` report (``tolerated=True``)."""
        # The peer's bad content: rate-limited per connection, cut like a
        # validation summary (a property name may be as long as the message).
        text = "; ".join(str(problem) for problem in tolerated[:MAX_LISTED_PROBLEMS])
        self._bad_frames.warning(
            "tolerated in the %s %s from the peer (message id %s): %s",
            action,
            kind,
            message_id,
            _bounded(text, len(tolerated)),
        )
        failure = ValidationFailure(
            direction="incoming",
            kind=kind,
            action=action,
            message_id=message_id,
            error=ValidationError(tolerated, type_name=type(obj).__name__),
            tolerated=True,
        )
        self._hook(self.hooks.validation_failed, failure)

    def _report(self, reply: SendReply) -> None:
        """Log (and hook) what the core said about a reply it built."""
        if reply.validation is not None:
            self._validation_failed(reply.validation)
        if reply.our_fault:
            self.logger.error("%s", reply.reason)
        elif reply.bad_frame:
            self._bad_frames.warning(
                "bad message from the peer: %s; answering %s",
                reply.reason,
                reply.code.value if reply.code is not None else "",
            )
