"""The filesystem backend: the standard YOLO folder layout, written atomically."""

from ydc_cli.persistence.filesystem.dataset_store import FilesystemDatasetStore
from ydc_cli.persistence.filesystem.image_store import FilesystemImageStore
from ydc_cli.persistence.filesystem.label_store import FilesystemLabelStore
from ydc_cli.persistence.filesystem.model_store import FilesystemModelStore

__all__ = ["FilesystemDatasetStore", "FilesystemImageStore", "FilesystemLabelStore", "FilesystemModelStore"]
