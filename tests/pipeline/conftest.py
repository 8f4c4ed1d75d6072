"""Fixtures for the pipeline tests: a stack of real processes per test, torn down (and its Redis flushed) after it.

Each test gets fresh worker and API processes: the tables are emptied (with their ids restarted) between tests,
and a long-lived process would keep an in-memory matching index of the previous test's entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.config import get_settings
from tests.pipeline.stack import Stack
from tests.support.servers import ListServer


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# These tests are about what follows a link (status, events, deliveries), not about the matcher's calibration. The
# learned matcher's own auto-link threshold (0.998, above every wrong answer on train and dev) leaves even an exact
# alias such as Faleh al-Fayyad ~ AL-FAYYADH, Falih (0.99) for review, so they run as an operator who trusts
# scores from 0.95 on would (SANCTRACK_AUTO_LINK_THRESHOLD), in this process and in the processes they start.
AUTO_LINK_THRESHOLD = "0.95"


@pytest.fixture(autouse=True)
def operator_auto_link_threshold(monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SANCTRACK_AUTO_LINK_THRESHOLD", AUTO_LINK_THRESHOLD)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("SANCTRACK_AUTO_LINK_THRESHOLD", raising=False)  # a test may have cleared it
    get_settings.cache_clear()


@pytest.fixture
def make_stack(committed_db, tmp_path: Path, request) -> Iterator[Callable[..., Stack]]:  # type: ignore[no-untyped-def]
    """``make_stack(**env)``: a Stack whose processes get ``env`` on top of the defaults; closed after the test."""
    stacks: list[Stack] = []

    def make(**env: str) -> Stack:
        stack = Stack(tmp_path / f"stack-{len(stacks) + 1}", env)
        stack.workdir.mkdir(parents=True, exist_ok=True)
        stacks.append(stack)
        return stack

    yield make
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for stack in stacks:
        if failed:
            print(stack.logs())
        stack.close()


@pytest.fixture
def sdn_server() -> Iterator[ListServer]:
    """A list server whose OFAC SDN folder is ``/sdn/``."""
    with ListServer() as server:
        yield server
    assert not server.errors, f"the list server failed while handling requests: {server.errors!r}"
