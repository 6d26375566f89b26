"""map_ordered: per-image work on worker threads, results in the items' order."""

from __future__ import annotations

import threading

import pytest

from ydc_cli.services.parallel import map_ordered, workers


async def _items(n):
    for i in range(n):
        yield i


@pytest.mark.parametrize("count", ["1", "2", "4"])
async def test_results_come_in_order(monkeypatch, count):
    monkeypatch.setenv("YDC_WORKERS", count)
    names = set()

    def square(i):
        names.add(threading.current_thread().name)
        return i * i

    assert [pair async for pair in map_ordered(_items(50), square)] == [(i, i * i) for i in range(50)]
    assert workers() == int(count)
    assert (names == {threading.main_thread().name}) == (count == "1")


async def test_an_error_in_a_worker_reaches_the_caller(monkeypatch):
    monkeypatch.setenv("YDC_WORKERS", "2")

    def fail_on_7(i):
        if i == 7:
            raise ValueError("seven")
        return i

    with pytest.raises(ValueError, match="seven"):
        async for _ in map_ordered(_items(20), fail_on_7):
            pass


def test_bad_setting_falls_back_to_the_cpu_count(monkeypatch):
    monkeypatch.setenv("YDC_WORKERS", "many")
    assert workers() >= 1
