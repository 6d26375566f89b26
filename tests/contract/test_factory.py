"""The factory and the store accessors."""

from __future__ import annotations

import pytest

import ydc_cli.persistence as persistence
from ydc_cli.persistence import (
    DatasetStore,
    ImageStore,
    LabelStore,
    ModelStore,
    Stores,
    create_sqlite_stores,
    create_stores,
)


def test_get_stores_before_set_raises(monkeypatch):
    monkeypatch.setattr(persistence, "_stores", None)
    with pytest.raises(RuntimeError):
        persistence.get_stores()
    with pytest.raises(RuntimeError):
        persistence.get_dataset_store()


def test_set_and_get(monkeypatch, tmp_path):
    monkeypatch.setattr(persistence, "_stores", None)
    stores = create_stores(tmp_path / "d", tmp_path / "m")
    persistence.set_stores(stores)
    assert persistence.get_stores() is stores
    assert persistence.get_dataset_store() is stores.dataset
    assert persistence.get_image_store() is stores.image
    assert persistence.get_label_store() is stores.label
    assert persistence.get_model_store() is stores.model


@pytest.mark.parametrize("factory, prefix", [
    (lambda p: create_stores(p / "d", p / "m"), "Filesystem"),
    (lambda p: create_sqlite_stores(p / "y.db", p / "m"), "Sqlite"),
])
def test_factories_build_each_store(tmp_path, factory, prefix):
    stores = factory(tmp_path)
    assert isinstance(stores, Stores)
    for store, base in [(stores.dataset, DatasetStore), (stores.image, ImageStore),
                        (stores.label, LabelStore), (stores.model, ModelStore)]:
        assert isinstance(store, base)
        assert type(store).__name__.startswith(prefix)


async def test_sqlite_bundle_shares_one_connection(tmp_path):
    stores = create_sqlite_stores(tmp_path / "y.db", tmp_path / "m")
    await stores.dataset.create("d", ["a"])
    connections = {id(store._sql.conn) for store in (stores.dataset, stores.image, stores.label, stores.model)}
    assert len(connections) == 1
    stores.close()
