"""seem-bench: an exact, reproducible benchmark harness for promptable segmentation models."""

import os

# OpenCV's own log lines ("[ WARN:0@0.03] ... PNG input buffer is incomplete", "[ERROR:0@0.03]
# ... IHDR chunk shall be first") must not reach the user: every problem they describe is
# reported as one seem-bench error line naming the file instead (OpenCV failures that matter
# raise or return None). Set before any module imports cv2; a user's own setting wins.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")

__version__ = "0.1.0"

__all__ = ["__version__"]
