"""RankSeg: adaptive pixel classification with image category ranking (ECCV 2022), reproduced."""

from rankseg.constants import IGNORE_INDEX

__version__ = "0.1.0"
__all__ = ["IGNORE_INDEX", "__version__"]
