"""seem-bench: an exact, reproducible benchmark harness for promptable segmentation models."""

import os

# OpenCV's own log lines ("[ WARN:0@0.03] global loadsave.cpp ... can't open/read file") must not
# reach the user: every problem they describe is reported as one seem-bench error line instead.
# Set before any module imports cv2 (OpenCV reads it once); a user's own setting wins.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

__version__ = "0.1.0"

__all__ = ["__version__"]
