"""The reconnection back-off of Part 4 section 5.3, as a pure policy.

:class:`BackOff` holds the three ``RetryBackOff*`` configuration variables and says
how long to wait before a reconnection attempt; :func:`backoff_delays` yields the
waits of consecutive failed attempts.  No I/O and no clock: the client decides when
to sleep.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ._options import check_seconds

__all__ = ["BackOff", "backoff_delays"]

_MAX_DOUBLINGS = 64  # 2**64 s is longer than any wait that could matter


@dataclass(frozen=True)
class BackOff:
    """The reconnection back-off of Part 4 section 5.3.

    The first reconnection attempt after a connection loss (or after a failed first
    connection) waits ``wait_minimum`` seconds plus a random value in
    ``[0, random_range]``; every failed attempt doubles the base wait, at most
    ``repeat_times`` times, then the wait stays the same.  A successful connection
    resets it to ``wait_minimum``.  (The number of doublings also stops at 64:
    ``2**64`` seconds is longer than any wait that could matter, and the float
    arithmetic cannot overflow.)

    Attributes:
        wait_minimum: ``OCPPCommCtrlr.RetryBackOffWaitMinimum`` in seconds.
        random_range: ``OCPPCommCtrlr.RetryBackOffRandomRange`` in seconds.
        repeat_times: ``OCPPCommCtrlr.RetryBackOffRepeatTimes``.

    Raises:
        ValueError: for a negative, infinite or NaN number of seconds, or a
            ``repeat_times`` that is not a non-negative integer.
    """

    wait_minimum: float = 3.0
    random_range: float = 10.0
    repeat_times: int = 5

    def __post_init__(self) -> None:
        check_seconds("BackOff.wait_minimum", self.wait_minimum)
        check_seconds("BackOff.random_range", self.random_range)
        repeat = self.repeat_times
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
            raise ValueError(
                f"BackOff.repeat_times must be a non-negative integer, not {repeat!r}"
            )

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before reconnection attempt ``attempt`` (0 is the first).

        ``rand`` returns a float in ``[0, 1)``; it is a parameter for tests.
        """
        doublings = min(max(attempt, 0), self.repeat_times, _MAX_DOUBLINGS)
        return self.wait_minimum * 2.0**doublings + rand() * self.random_range


def backoff_delays(
    back_off: BackOff, rand: Callable[[], float] = random.random
) -> Iterator[float]:
    """The waits before reconnection attempts 0, 1, 2, ... (an endless iterator).

    Start a new iterator after every successful connection: the wait returns to
    ``wait_minimum`` (errata 2025-04, 4.12).
    """
    attempt = 0
    while True:
        yield back_off.delay(attempt, rand)
        attempt += 1
