"""Checks every backend applies to an image and its labels before storing them."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.imageformat import ImageHeader, read_header
from ydc_cli.domain.labels import Box, check_shape
from ydc_cli.domain.names import validate_filename
from ydc_cli.persistence.bulk import read_ahead
from ydc_cli.persistence.models import Annotation, Sample

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task


@dataclass(frozen=True)
class CheckedSample:
    """A sample that passed every check, with what the checks learned."""

    sample: Sample
    header: ImageHeader
    boxes: list[Box] | None
    sha256: str | None = None  # the image bytes' hex digest, when the caller asked for it

    @property
    def stem(self) -> str:
        return datayaml.stem_of(self.sample.filename)

    @property
    def where(self) -> str:
        return f"{self.sample.split}/{self.sample.filename}"


def check_annotations(annotations: list[Annotation], *, nc: int | None = None, source: str = "",
                      task: Task | None = None) -> list[Box]:
    """Validate annotations as label lines of ``task`` (detect by default; line numbers count from 1)."""
    return [
        check_shape(a.class_id, a.x, a.y, a.width, a.height, a.points, task=task, nc=nc, source=source, line=number)
        for number, a in enumerate(annotations, start=1)
    ]


def check_sample(sample: Sample, nc: int | None = None, task: Task | None = None, *, hashed: bool = False
                 ) -> CheckedSample:
    """Check split, file name, image header and labels (class ids below ``nc``); with ``hashed``, take the sha256.

    Raises:
        InvalidInputError subclasses naming ``split/filename`` (and the label line).
    """
    datayaml.check_split(sample.split)
    validate_filename(sample.filename)
    where = f"{sample.split}/{sample.filename}"
    header = read_header(sample.data, where)
    boxes = None
    if sample.annotations is not None:
        label_source = f"{sample.split}/{datayaml.label_name_for(sample.filename)}"
        boxes = check_annotations(sample.annotations, nc=nc, source=label_source, task=task)
    if hashed:
        import hashlib

        return CheckedSample(sample, header, boxes, hashlib.sha256(sample.data).hexdigest())
    return CheckedSample(sample, header, boxes)


def to_annotations(boxes: list[Box]) -> list[Annotation]:
    """Boxes as the contract's Annotation objects."""
    return [Annotation(b.class_id, b.x, b.y, b.width, b.height, b.points) for b in boxes]


def as_box(annotation: Annotation) -> Box:
    """An annotation as the domain's Box (what format_text writes)."""
    return Box(annotation.class_id, annotation.x, annotation.y, annotation.width, annotation.height,
               annotation.points)


SampleSource = Iterable[Sample] | AsyncIterable[Sample]


async def each_checked(samples: SampleSource, nc: int | None = None, task: Task | None = None, *,
                       hashed: bool = False) -> AsyncIterator[CheckedSample]:
    """Each sample, checked (``check_sample``, with its sha256 when ``hashed``), in order.

    A plain iterable (a folder or a zip being read) is read, checked and hashed
    on a helper thread a few samples ahead (``bulk.read_ahead``), while the
    caller writes the previous ones (a 2,000-image import into SQLite hashed
    245 MB for 0.35 s on the writing thread before); another store's async
    samples are checked inline.
    """
    if isinstance(samples, AsyncIterable):
        async for sample in samples:
            yield check_sample(sample, nc, task, hashed=hashed)
        return
    check = functools.partial(check_sample, nc=nc, task=task, hashed=hashed)
    with contextlib.closing(read_ahead(samples, check)) as checked:
        for one in checked:
            yield one
