"""The model adapter contract (`base`) and the model registry (`registry`)."""

from seem_bench.adapters.base import Adapter, Capabilities, Prediction

__all__ = ["Adapter", "Capabilities", "Prediction"]
