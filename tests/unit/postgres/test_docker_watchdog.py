"""Which containers a sweep may remove: ours, from this host, whose owner is gone.

A sweep that removed a live owner's container would break another test run on the
same engine; one that spared a dead owner's would leak. Both sides are checked with
real processes, since the owner's identity is read from /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from toolkit.postgres._docker_watchdog import (
    LABEL,
    OWNER_HOST,
    OWNER_PID,
    OWNER_START,
    is_leftover,
    owner_alive,
    owner_labels,
    process_start,
)

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="owner identity reads /proc")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_owner_labels_name_this_process_and_its_start() -> None:
    labels = owner_labels("token-1")

    assert labels[LABEL] == "token-1"
    assert labels[OWNER_PID] == str(os.getpid())
    assert labels[OWNER_START] == process_start(os.getpid()) != ""
    assert owner_alive(labels)


def test_container_of_a_live_owner_is_not_a_leftover() -> None:
    assert not is_leftover(owner_labels("token"))


def test_container_of_a_dead_owner_is_a_leftover() -> None:
    labels = {**owner_labels("token"), OWNER_PID: str(_dead_pid())}

    assert is_leftover(labels)


def test_recycled_pid_does_not_keep_a_leftover_alive() -> None:
    # The recorded pid runs, but it is another process than the one that started it.
    labels = {**owner_labels("token"), OWNER_START: "another-boot:12345"}

    assert is_leftover(labels)


def test_another_hosts_containers_are_never_swept() -> None:
    labels = {**owner_labels("token"), OWNER_PID: str(_dead_pid()), OWNER_HOST: "elsewhere"}

    assert not is_leftover(labels)


def test_containers_without_owner_labels_are_never_swept() -> None:
    assert not is_leftover({LABEL: "token"})
    assert not is_leftover({"org.testcontainers": "true"})
