"""Both cores for per-image CPU work: hashing and decoding in worker threads.

``hashlib`` (on buffers over 2 KiB) and OpenCV's decoders release the GIL, so
threads run them truly in parallel with no pickling of image bytes to another
process. ``YDC_WORKERS`` caps the threads (1 runs everything in order on the
calling thread).
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TypeVar

from ydc_cli.persistence.bulk import workers

T = TypeVar("T")
R = TypeVar("R")


async def map_ordered(items: AsyncIterable[T], func: Callable[[T], R]) -> AsyncIterator[tuple[T, R]]:
    """Yield ``(item, func(item))`` in the items' order, computing up to ``2 x workers()`` ahead."""
    count = workers()
    if count == 1:
        async for item in items:
            yield item, func(item)
        return
    from concurrent.futures import ThreadPoolExecutor

    window: collections.deque = collections.deque()
    with ThreadPoolExecutor(count, thread_name_prefix="ydc-work") as pool:
        try:
            async for item in items:
                window.append((item, pool.submit(func, item)))
                if len(window) >= 2 * count:
                    done, future = window.popleft()
                    yield done, future.result()
            while window:
                done, future = window.popleft()
                yield done, future.result()
        finally:
            for _, future in window:
                future.cancel()
