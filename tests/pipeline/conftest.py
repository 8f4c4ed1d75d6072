"""Fixtures for the pipeline tests: a stack of real processes per test, torn down (and its Redis flushed) after it.

Each test gets fresh worker and API processes: the tables are emptied (with their ids restarted) between tests,
and a long-lived process would keep an in-memory matching index of the previous test's entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pipeline.stack import Stack
from tests.support.servers import ListServer


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


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
