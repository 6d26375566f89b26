"""ydc: a command-line dataset manager for YOLO object detection."""

__version__ = "0.1.0"
