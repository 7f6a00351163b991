"""Models: the ViT encoder, the mask transformer decoder with RankSeg's parts, and their builders."""

from rankseg.models.classifier import MultiLabelClassifier
from rankseg.models.label_selection import present_classes, remap_to_selected, select_top_k
from rankseg.models.mask_transformer import DecoderSpec, MaskTransformer
from rankseg.models.multilabel_head import MultiLabelHead
from rankseg.models.output import SegOutput
from rankseg.models.segmenter import Segmenter
from rankseg.models.temperature import RankTemperature

__all__ = ["DecoderSpec", "MaskTransformer", "MultiLabelClassifier", "MultiLabelHead", "RankTemperature", "SegOutput",
           "Segmenter", "present_classes", "remap_to_selected", "select_top_k"]
