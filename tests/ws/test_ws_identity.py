"""Identity parsing, connection URLs and the back-off formula (no sockets)."""

from __future__ import annotations

import math

import pytest

from ocpp201.websocket import (
    MAX_IDENTITY_LENGTH,
    BackOff,
    InvalidIdentityError,
    connection_url,
    identity_from_path,
    validate_identity,
)


@pytest.mark.parametrize(
    "identity", ["CS001", "RDAM 123", "x" * MAX_IDENTITY_LENGTH, "a*b-c_d=e+f|g@h.i"]
)
def test_valid_identities(identity: str) -> None:
    assert validate_identity(identity) == identity


@pytest.mark.parametrize(
    ("identity", "why"),
    [
        ("", "empty"),
        ("x" * (MAX_IDENTITY_LENGTH + 1), "49 characters"),
        ("CS:001", "':'"),
        ("CS/001", "'/'"),
        ("CS\x00001", "non-printable"),
        ("CS\n001", "non-printable"),
        (".", "dot-segment"),  # URL normalisation would remove it from the path
        ("..", "dot-segment"),
    ],
)
def test_invalid_identities(identity: str, why: str) -> None:
    with pytest.raises(InvalidIdentityError, match=why):
        validate_identity(identity)


@pytest.mark.parametrize(
    ("path", "identity"),
    [
        ("/ocpp/CS001", "CS001"),
        ("/webServices/ocpp/CS3211", "CS3211"),  # Part 4 section 3.1.3
        ("/ocppj/RDAM%20123", "RDAM 123"),  # Part 4 section 3.1.1, example 2
        ("/CS001", "CS001"),
        ("/ocpp/CS001?token=1", "CS001"),
        ("/ocpp/a%2Ab%3Dc%40d%7Ce", "a*b=c@d|e"),
        ("/ocpp/caf%C3%A9", "café"),
        ("/ocpp/" + "%41" * 48, "A" * 48),  # the limit counts decoded characters
        ("/ocpp/CS+1", "CS+1"),  # '+' is not a space in a path
    ],
)
def test_identity_from_path(path: str, identity: str) -> None:
    assert identity_from_path(path) == identity


@pytest.mark.parametrize(
    "path",
    [
        "/ocpp/",
        "/",
        "/ocpp/CS%3A001",  # ':' once decoded
        "/ocpp/CS%2F001",  # '/' once decoded
        "/ocpp/%FF",  # not UTF-8
        "/ocpp/CS%00",
        "/ocpp/" + "A" * 49,
        "/ocpp/.",
        "/ocpp/..",
        "/ocpp/%2E%2E",  # '..' once decoded
    ],
)
def test_identity_from_path_rejects(path: str) -> None:
    with pytest.raises(InvalidIdentityError):
        identity_from_path(path)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        # The request target is a path, never a URL: '//CS1' is not host 'CS1'.
        ("//CS1", "empty segment"),
        ("//x/y", "empty segment"),
        ("/ocpp//CS1", "empty segment"),
        ("/ocpp/%zz", "invalid percent-escape"),
        ("/ocpp/CS%2", "invalid percent-escape"),
        ("/oc%zzpp/CS1", "invalid percent-escape"),
        ("/oc%FFpp/CS1", "UTF-8"),
        ("ocpp/CS1", "absolute path"),
        ("ws://h/ocpp/CS1", "absolute path"),  # absolute-form targets are refused
        ("/ocpp/CS1#x", "absolute path"),
    ],
)
def test_identity_from_path_reads_the_target_as_a_path(path: str, why: str) -> None:
    with pytest.raises(InvalidIdentityError, match=why):
        identity_from_path(path)


def test_identity_from_path_prefix_cannot_be_bypassed() -> None:
    # urlsplit() would read '//CS1' as a host and '/ocpp/CS2' as the path.
    with pytest.raises(InvalidIdentityError, match="empty segment"):
        identity_from_path("//CS1/ocpp/CS2", "/ocpp")
    with pytest.raises(InvalidIdentityError, match="empty segment"):
        identity_from_path("/ocpp//CS1", "/ocpp")


def test_identity_from_path_with_prefix() -> None:
    assert identity_from_path("/ocpp/CS1", "/ocpp") == "CS1"
    assert identity_from_path("/ocpp/CS1", "/ocpp/") == "CS1"
    assert identity_from_path("/ocpp/CS1", "ocpp") == "CS1"  # '/' prepended
    assert identity_from_path("/a/b/CS1", "/a/b") == "CS1"
    assert identity_from_path("/CS1", "/") == "CS1"
    assert identity_from_path("/my%20ocpp/CS1", "/my ocpp") == "CS1"  # decoded
    with pytest.raises(InvalidIdentityError, match="not under"):
        identity_from_path("/ocpp/CS1", "/")
    for path in ("/other/CS1", "/CS1", "/ocpp/x/CS1"):
        with pytest.raises(InvalidIdentityError, match="not under"):
            identity_from_path(path, "/ocpp")


@pytest.mark.parametrize(
    ("endpoint", "identity", "url"),
    [
        ("ws://csms.example.com/ocpp", "CS001", "ws://csms.example.com/ocpp/CS001"),
        (
            "wss://csms.example.com/ocppj",
            "RDAM 123",
            "wss://csms.example.com/ocppj/RDAM%20123",
        ),
        ("ws://h:9000/ocpp/", "CS1", "ws://h:9000/ocpp/CS1"),
        ("ws://h:9000", "CS1", "ws://h:9000/CS1"),
        ("ws://h/ocpp?x=1", "CS1", "ws://h/ocpp/CS1?x=1"),
        ("ws://h/o", "a|b+c%d", "ws://h/o/a%7Cb%2Bc%25d"),
        ("ws://h/o", "a*b=c@d", "ws://h/o/a*b=c@d"),
        ("ws://h/o", "café", "ws://h/o/caf%C3%A9"),
    ],
)
def test_connection_url(endpoint: str, identity: str, url: str) -> None:
    assert connection_url(endpoint, identity) == url


@pytest.mark.parametrize("identity", ["a|b+c%d", "RDAM 123", "café", "x*=@!$'(),;"])
def test_connection_url_round_trips(identity: str) -> None:
    url = connection_url("ws://h/ocpp", identity)
    path = url.removeprefix("ws://h")
    assert identity_from_path(path, "/ocpp") == identity


def test_connection_url_rejects() -> None:
    with pytest.raises(ValueError, match="ws:// or wss://"):
        connection_url("http://h/ocpp", "CS1")
    with pytest.raises(InvalidIdentityError):
        connection_url("ws://h/ocpp", "CS:1")
    with pytest.raises(InvalidIdentityError, match="dot-segment"):
        connection_url("ws://h/ocpp", "..")


@pytest.mark.parametrize(
    "endpoint",
    [
        "ws://",  # no host
        "ws:///ocpp",
        "ws://h:99999/ocpp",  # port out of range
        "ws://h:x/ocpp",
        "ws://[::1/ocpp",
        "ws://h/ocpp#frag",
        "ws://h/oc pp",
        "ws://h/ocpp\n",
    ],
)
def test_connection_url_rejects_malformed_endpoint_urls(endpoint: str) -> None:
    # Refused here, so that ChargingStationClient fails at construction instead
    # of retrying a URL that can never work.
    with pytest.raises(ValueError, match="endpoint URL"):
        connection_url(endpoint, "CS1")


def test_back_off_doubles_then_stays() -> None:
    back_off = BackOff(wait_minimum=2, random_range=0, repeat_times=3)
    delays = [back_off.delay(n) for n in range(7)]
    assert delays == [2, 4, 8, 16, 16, 16, 16]


def test_back_off_adds_a_new_random_part_every_time() -> None:
    back_off = BackOff(wait_minimum=1, random_range=10, repeat_times=2)
    assert back_off.delay(0, rand=lambda: 0.0) == 1
    assert back_off.delay(0, rand=lambda: 0.5) == 6
    assert back_off.delay(5, rand=lambda: 0.25) == 4 + 2.5
    samples = [back_off.delay(1) for _ in range(200)]
    assert all(2 <= s <= 12 for s in samples)
    assert len(set(samples)) > 1


def test_back_off_refuses_negative_values() -> None:
    with pytest.raises(ValueError, match="negative"):
        BackOff(wait_minimum=-1)
    with pytest.raises(ValueError, match="negative"):
        BackOff(random_range=-0.5)
    with pytest.raises(ValueError, match="negative"):
        BackOff(repeat_times=-1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"wait_minimum": math.nan},
        {"random_range": math.nan},
        {"wait_minimum": math.inf},
        {"random_range": math.inf},
        {"wait_minimum": "3"},
        {"wait_minimum": True},
        {"repeat_times": 2.5},
        {"repeat_times": 2.0},  # RetryBackOffRepeatTimes is an integer
        {"repeat_times": math.nan},
        {"repeat_times": True},
    ],
)
def test_back_off_refuses_non_finite_and_non_integer_values(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(ValueError, match=r"BackOff\.\w+ must be"):
        BackOff(**kwargs)  # type: ignore[arg-type]


def test_back_off_exponent_is_capped() -> None:
    # 2.0 ** 1024 overflows; the number of doublings stops at 64 instead.
    back_off = BackOff(wait_minimum=1, random_range=0, repeat_times=5000)
    assert back_off.delay(10) == 2.0**10
    assert back_off.delay(64) == 2.0**64
    assert back_off.delay(1024) == 2.0**64
    assert back_off.delay(10**9) == 2.0**64
    assert BackOff(0, 0, 5000).delay(5000) == 0.0
    # the configured repeat_times still wins below the cap
    assert BackOff(1, 0, 3).delay(10**9) == 8.0
