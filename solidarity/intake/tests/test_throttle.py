"""The flood gate: a limit per client per window, counted without keeping who the client is."""

from __future__ import annotations

import pickle

import pytest

from solidarity.intake.throttle import FloodGate

CLIENT = "203.0.113.77"  # a documentation address (RFC 5737)


class Clock:
    """A monotonic clock the test moves by hand (the process boundary the gate reads)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_client_is_let_through_up_to_the_limit_and_then_stopped(clock):
    gate = FloodGate(3, window=60, clock=clock)
    assert [gate.allow(CLIENT) for _ in range(5)] == [True, True, True, False, False]


def test_one_clients_flood_does_not_stop_another_client(clock):
    gate = FloodGate(2, window=60, clock=clock)
    for _ in range(5):
        gate.allow(CLIENT)
    assert gate.allow("198.51.100.1")
    assert not gate.allow(CLIENT)


def test_the_gate_opens_again_when_the_window_has_passed(clock):
    # Given a client stopped by the gate
    gate = FloodGate(2, window=60, clock=clock)
    assert [gate.allow(CLIENT) for _ in range(3)] == [True, True, False]
    # When almost a whole window has passed, it is still stopped
    clock.now += 59.9
    assert not gate.allow(CLIENT)
    assert not gate.would_allow(CLIENT)
    # Then once the window has passed it gets a fresh allowance
    clock.now += 0.1
    assert gate.would_allow(CLIENT)
    assert [gate.allow(CLIENT) for _ in range(3)] == [True, True, False]


def test_asking_whether_a_client_would_be_let_through_counts_nothing(clock):
    gate = FloodGate(2, window=60, clock=clock)
    for _ in range(10):
        assert gate.would_allow(CLIENT)
    assert gate.allow(CLIENT)
    assert gate.allow(CLIENT)
    assert not gate.would_allow(CLIENT)


def test_the_gate_never_keeps_a_client_address_in_clear(clock):
    gate = FloodGate(5, window=60, clock=clock)
    clients = [CLIENT, "2001:db8::1", "telegram-chat-123456789"]
    for client in clients:
        gate.allow(client)
    memory = pickle.dumps(gate._counts) + b"".join(gate._counts)
    for client in clients:
        assert client.encode() not in memory
        assert client.encode() not in gate._counts
    assert all(len(slot) == 16 for slot in gate._counts)


def test_a_new_window_forgets_the_old_counts_and_hashes_under_a_new_key(clock):
    # Given a count made in the first window
    gate = FloodGate(5, window=60, clock=clock)
    gate.allow(CLIENT)
    first_slots = set(gate._counts)
    # When the window rotates
    clock.now += 60
    gate.allow("198.51.100.1")
    # Then nothing from the first window is kept, and the same client would land elsewhere:
    # a memory dump cannot link a client across windows
    gate.allow(CLIENT)
    assert len(gate._counts) == 2
    assert not first_slots & set(gate._counts)


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (-1, 60), (1, 0), (1, -5)])
def test_a_gate_refuses_a_limit_or_window_that_is_not_positive(limit, window):
    with pytest.raises(ValueError, match="positive"):
        FloodGate(limit, window=window)
