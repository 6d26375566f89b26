"""read_ahead and write_behind: import sources and export writers on a helper thread, in order."""

from __future__ import annotations

import threading
import time

import pytest

from ydc_cli.persistence.bulk import read_ahead, write_behind


@pytest.mark.parametrize("count", ["1", "2"])
def test_results_in_order_on_a_helper_thread(monkeypatch, count):
    monkeypatch.setenv("YDC_WORKERS", count)
    threads = set()

    def work(i):
        threads.add(threading.current_thread().name)
        return i * 3

    assert list(read_ahead(range(500), work, depth=4)) == [i * 3 for i in range(500)]
    assert threads == ({"ydc-read-ahead"} if count == "2" else {threading.main_thread().name})


def test_the_first_error_arrives_after_the_items_before_it(monkeypatch):
    monkeypatch.setenv("YDC_WORKERS", "2")

    def source():
        yield from range(10)
        raise ValueError("bad item 10")

    seen = []
    with pytest.raises(ValueError, match="bad item 10"):
        for value in read_ahead(source(), lambda i: i):
            seen.append(value)
    assert seen == list(range(10))


def test_an_error_in_the_work_stops_at_that_item(monkeypatch):
    monkeypatch.setenv("YDC_WORKERS", "2")

    def work(i):
        if i == 7:
            raise KeyError(i)
        return i

    iterator = read_ahead(range(100), work)
    assert [next(iterator) for _ in range(7)] == list(range(7))
    with pytest.raises(KeyError):
        next(iterator)


def test_closing_early_stops_the_helper(monkeypatch):
    """A consumer that fails (or gets Ctrl-C) closes the iterator: the source is read no further."""
    monkeypatch.setenv("YDC_WORKERS", "2")
    pulled = []

    def source():
        for i in range(10_000):
            pulled.append(i)
            yield i

    iterator = read_ahead(source(), lambda i: i, depth=8)
    assert next(iterator) == 0
    time.sleep(0.2)  # the helper fills the queue, then waits
    iterator.close()
    assert not any(t.name == "ydc-read-ahead" for t in threading.enumerate())
    assert len(pulled) <= 8 + 3  # the queue, the item in hand, the one taken


@pytest.mark.parametrize("count", ["1", "2"])
def test_write_behind_hands_over_every_item_in_order(monkeypatch, count):
    monkeypatch.setenv("YDC_WORKERS", count)
    written, threads = [], set()

    def write(item):
        threads.add(threading.current_thread().name)
        written.append(item)

    with write_behind(write, depth=4) as put:
        for i in range(300):
            put(i)
    assert written == list(range(300))
    assert threads == ({"ydc-write-behind"} if count == "2" else {threading.main_thread().name})


def test_write_behind_raises_the_writers_error_and_drops_the_rest(monkeypatch):
    monkeypatch.setenv("YDC_WORKERS", "2")
    written = []

    def write(item):
        if item == 5:
            raise OSError(28, "No space left on device")
        written.append(item)

    with pytest.raises(OSError, match="No space"):
        with write_behind(write, depth=2) as put:
            for i in range(50):
                put(i)
                time.sleep(0.001)
    assert written == list(range(5))


def test_write_behind_stops_when_the_caller_fails(monkeypatch):
    monkeypatch.setenv("YDC_WORKERS", "2")
    written = []
    gate = threading.Event()

    def write(item):
        gate.wait(5)
        written.append(item)

    with pytest.raises(KeyError):
        with write_behind(write, depth=8) as put:
            for i in range(8):
                put(i)
            threading.Timer(0.2, gate.set).start()  # the writer resumes once the failure is well under way
            raise KeyError("the caller failed")
    assert len(written) <= 1  # the one already in the writer's hands; the queued ones are skipped
    assert not any(t.name == "ydc-write-behind" for t in threading.enumerate())
