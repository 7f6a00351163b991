"""Models: the encoders, Segmenter's mask transformer, the pixel frameworks and Mask2Former, RankSeg's
classifier that plugs into all of them, and their builders."""

from rankseg.models.classifier import MultiLabelClassifier
from rankseg.models.label_selection import present_classes, remap_to_selected, select_top_k
from rankseg.models.mask_transformer import MaskTransformer
from rankseg.models.multilabel_head import MultiLabelHead
from rankseg.models.output import SegOutput
from rankseg.models.rankseg_classifier import RankSegClassifier, RankSegOptions, Ranking, Selection
from rankseg.models.segmenter import Segmenter
from rankseg.models.temperature import RankTemperature

__all__ = ["MaskTransformer", "MultiLabelClassifier", "MultiLabelHead", "RankSegClassifier", "RankSegOptions",
           "RankTemperature", "Ranking", "SegOutput", "Segmenter", "Selection", "present_classes",
           "remap_to_selected", "select_top_k"]
