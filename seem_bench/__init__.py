"""seem-bench: an exact, reproducible benchmark harness for promptable segmentation models."""

__version__ = "0.1.0"

__all__ = ["__version__"]
