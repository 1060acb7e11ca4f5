"""Identity parsing, connection URLs and the back-off formula (no sockets)."""

from __future__ import annotations

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
    ],
)
def test_identity_from_path_rejects(path: str) -> None:
    with pytest.raises(InvalidIdentityError):
        identity_from_path(path)


def test_identity_from_path_with_prefix() -> None:
    assert identity_from_path("/ocpp/CS1", "/ocpp") == "CS1"
    assert identity_from_path("/ocpp/CS1", "/ocpp/") == "CS1"
    assert identity_from_path("/a/b/CS1", "/a/b") == "CS1"
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
        BackOff(repeat_times=-1)
