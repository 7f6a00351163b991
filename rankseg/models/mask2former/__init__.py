"""A compact Mask2Former (Cheng et al., CVPR 2022) with RankSeg's label ranking for region classification.

rankseg.models.feature_encoder (timm features) → pixel_decoder.py (FPN) → transformer_decoder.py (masked attention over
learned queries) → classifier.py (queries over all N classes, or over the top-K ranked ones) → model.py.
Training: matcher.py (Hungarian) and criterion.py; inference: inference.py (semantic and panoptic).
"""

from rankseg.models.mask2former.build import build_mask2former
from rankseg.models.mask2former.model import Mask2Former, MaskClassOutput

__all__ = ["Mask2Former", "MaskClassOutput", "build_mask2former"]
