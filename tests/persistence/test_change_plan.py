"""The change plan every backend carries out: persistence.changes.plan_changes on plain listings."""

from __future__ import annotations

import pytest

from ydc_cli.domain.errors import ConflictError, InvalidLabelError, NotFoundError
from ydc_cli.persistence import Annotation, DatasetChanges
from ydc_cli.persistence.changes import involved, needs_stored_prompts, plan_changes

IMAGES = {"train": {"a.jpg", "a.png", "b.jpg"}, "val": {"b.jpg", "c.jpg"}, "test": set()}
LABELS = {"train": {"a", "b"}, "val": {"b"}, "test": set()}


def plan(changes, classes=("x", "y"), prompts=None):
    return plan_changes("d", changes, images=IMAGES, labels=LABELS, classes=list(classes), stored_prompts=prompts)


def test_a_label_stays_while_another_image_of_its_stem_remains():
    result = plan(DatasetChanges(removals=[("train", "a.jpg")]))
    assert result.image_removals == [("train", "a.jpg")] and result.label_removals == []
    result = plan(DatasetChanges(removals=[("train", "a.jpg"), ("train", "a.png")]))
    assert result.label_removals == [("train", "a")]


def test_moves_may_swap_and_carry_their_labels():
    result = plan(DatasetChanges(moves=[("b.jpg", "train", "val"), ("b.jpg", "val", "train")]))
    assert result.image_moves == [("b.jpg", "train", "val"), ("b.jpg", "val", "train")]
    assert sorted(result.label_moves) == [("b", "train", "val"), ("b", "val", "train")]


def test_a_label_deleted_after_its_move_is_deleted_where_it_was():
    result = plan(DatasetChanges(moves=[("b.jpg", "train", "test")], labels={("test", "b.jpg"): None}))
    assert result.image_moves == [("b.jpg", "train", "test")]
    assert result.label_moves == [] and result.label_removals == [("train", "b")]


def test_a_label_vacated_by_a_move_has_nothing_to_delete():
    result = plan(DatasetChanges(moves=[("b.jpg", "train", "test")], labels={("train", "b.jpg"): None}))
    assert result.label_removals == [] and result.label_moves == [("b", "train", "test")]


@pytest.mark.parametrize("changes, error", [
    (DatasetChanges(removals=[("train", "nope.jpg")]), NotFoundError),
    (DatasetChanges(moves=[("c.jpg", "train", "val")]), NotFoundError),
    (DatasetChanges(moves=[("b.jpg", "train", "val")]), ConflictError),
    (DatasetChanges(moves=[("a.jpg", "train", "test"), ("a.jpg", "train", "test")]), ConflictError),
    (DatasetChanges(labels={("val", "c.jpg"): [Annotation(2, 0.5, 0.5, 0.2, 0.2)]}), InvalidLabelError),
    (DatasetChanges(labels={("val", "c.jpg"): [Annotation(1, 0.5, 0.5, 0.2, 0.2)]}, classes=["x"]),
     InvalidLabelError),
])
def test_refusals(changes, error):
    with pytest.raises(error):
        plan(changes)


def test_labels_are_checked_against_the_new_classes_and_prompts_trimmed_once():
    changes = DatasetChanges(labels={("val", "c.jpg"): [Annotation(2, 0.5, 0.5, 0.2, 0.2)]}, classes=["x", "y", "z"])
    assert needs_stored_prompts(changes)
    result = plan(changes, prompts={0: ["an x"], 2: ["a z"]})
    assert result.label_writes == {("val", "c"): [(2, 0.5, 0.5, 0.2, 0.2, None)]}
    assert result.classes == ["x", "y", "z"] and result.prompts is None  # nothing to trim
    assert plan(DatasetChanges(classes=["x"]), prompts={0: ["an x"], 1: ["a y"]}).prompts == {0: ["an x"]}
    assert plan(DatasetChanges(prompts={0: ["x"], 5: ["gone"]})).prompts == {0: ["x"]}
    assert plan(DatasetChanges()).empty


def test_involved_names_only_the_touched_stems():
    changes = DatasetChanges(removals=[("train", "a.jpg")], moves=[("b.jpg", "train", "val")],
                             labels={("test", "q.png"): None})
    assert involved(changes) == {"train": {"a", "b"}, "val": {"b"}, "test": {"q"}}
