"""Pixel-classification frameworks as backbone → decoder → pixel classifier, with RankSeg as a classifier.

    DeepLabv3   = TimmFeatures (CNN, output stride 8) → ASPPDecoder → LinearClassifier | RankSegPixelClassifier
    UPerNet     = TimmFeatures (Swin or CNN, 4 stages) → UPerDecoder → LinearClassifier | RankSegPixelClassifier
    EncNet      = ViTFeatureMap | PyramidFeatureMap → EncHead (context encoding, SE branch) → LinearClassifier (N)
    ESSNet      = ViTFeatureMap | PyramidFeatureMap → ConvNeck → ESSNetClassifier (k nearest class embeddings)

EncNet and ESSNet sit on Segmenter's encoder (paper Table 9): a ViT's tokens, or with
model.token_encoder="feature_pyramid" the CNN pyramid Segmenter fuses into its tokens. With model.freeze_backbone
any framework's encoder keeps its weights as loaded, as Segmenter's does.
"""

from __future__ import annotations

from torch import Tensor, nn

from rankseg.config import Config
from rankseg.models.backbone import build_vit_encoder
from rankseg.models.decode_heads import ASPPDecoder, ConvNeck, UPerDecoder
from rankseg.models.encnet import EncHead
from rankseg.models.essnet import EmbeddingOutput, ESSNetClassifier
from rankseg.models.frozen import FreezableEncoder
from rankseg.models.feature_encoder import PyramidFeatureMap, TimmFeatures, ViTFeatureMap, build_timm_features
from rankseg.models.output import SegOutput
from rankseg.models.pixel_classifier import LinearClassifier, RankSegPixelClassifier
from rankseg.models.rankseg_classifier import RankSegOptions


class PixelSegmenter(FreezableEncoder):
    """backbone → decoder → pixel classifier.

    forward(images (B, 3, H, W) in [0, 1], **classifier kwargs) → SegOutput (EmbeddingOutput for ESSNet),
    at the decoder's resolution (1/output_stride for DeepLabv3, the patch size for the ViT frameworks, the finest
    stride for UPerNet and the pyramid frameworks: 1/4).

    `freeze_encoder` keeps the encoder's weights as loaded, as Segmenter's does: no gradients (so the optimiser
    leaves them out), batch norm in eval mode even while training, and a forward without autograd.
    """

    def __init__(self, *, encoder: nn.Module, decoder: nn.Module,
                 classifier: LinearClassifier | RankSegPixelClassifier | ESSNetClassifier, num_classes: int,
                 freeze_encoder: bool = False) -> None:
        super().__init__()
        self.encoder, self.decoder, self.classifier = encoder, decoder, classifier
        self.num_classes = num_classes
        self._freeze(freeze_encoder)

    @property
    def size_divisor(self) -> int:
        return self.encoder.size_divisor

    @property
    def ranks_labels(self) -> bool:
        return self.classifier.ranks_labels

    def multilabel_parameters(self) -> list[nn.Parameter]:
        return self.classifier.multilabel_parameters()

    def forward(self, images: Tensor, **kwargs) -> SegOutput | EmbeddingOutput:
        with self.encoding():
            maps = self.encoder(images)
        features, image_logits = self.decoder(maps)
        return self.classifier(features, image_logits=image_logits, **kwargs)


def build_encoder(cfg: Config) -> TimmFeatures | ViTFeatureMap | PyramidFeatureMap:
    """The backbone `cfg.model.backbone` names, as feature maps: for EncNet and ESSNet Segmenter's encoder
    (model.token_encoder), for DeepLabv3 and UPerNet the last 1 or 4 stages of a timm CNN or Swin."""
    m = cfg.model
    if m.framework in ("encnet", "essnet") and m.token_encoder == "feature_pyramid":
        # Both heads read one map (features[-1]). The whole fused pyramid, rather than its coarsest level alone,
        # gives them exactly what Segmenter's decoder reads on this encoder, so Table 9 compares heads only;
        # the heads themselves stay as they are.
        return PyramidFeatureMap(TimmFeatures(name=m.backbone, out_indices=m.feature_indices,
                                              output_stride=m.output_stride, pretrained=m.pretrained,
                                              pretrained_path=m.pretrained_path))
    if m.framework in ("encnet", "essnet"):
        return ViTFeatureMap(build_vit_encoder(cfg))
    return build_timm_features(m.backbone, image_size=cfg.data.image_size,
                               last_stages=1 if m.framework == "deeplabv3" else 4, pretrained=m.pretrained,
                               pretrained_path=m.pretrained_path, drop_path_rate=m.drop_path_rate,
                               output_stride=m.output_stride)


def build_pixel_framework(cfg: Config) -> PixelSegmenter:
    """DeepLabv3, UPerNet, EncNet or ESSNet (cfg.model.framework); RankSeg's classifier when
    cfg.model.multilabel or label_selection is on, the framework's own linear classifier otherwise."""
    m, n = cfg.model, cfg.data.num_classes
    encoder = build_encoder(cfg)
    if m.framework == "deeplabv3":
        rates = tuple(r * 8 // m.output_stride for r in (12, 24, 36))  # (6, 12, 18) at output stride 16
        decoder = ASPPDecoder(in_channels=encoder.channels[-1], channels=m.d_model, atrous_rates=rates)
    elif m.framework == "upernet":
        decoder = UPerDecoder(in_channels=encoder.channels, channels=m.d_model)
    elif m.framework == "encnet":
        if m.multilabel or m.label_selection:
            raise ValueError("EncNet is a comparison baseline: its SE branch is its multi-label part and pixels "
                             "are classified over all N classes; set model.multilabel=False and "
                             "model.label_selection=False")
        decoder = EncHead(in_channels=encoder.channels[-1], channels=m.d_model, num_codes=m.encnet_codewords,
                          num_classes=n)
    elif m.framework == "essnet":
        decoder = ConvNeck(in_channels=encoder.channels[-1], channels=m.d_model)
    else:
        raise ValueError(f"{m.framework!r} is not a pixel-classification framework")
    if m.framework == "essnet":
        classifier = ESSNetClassifier(in_channels=m.d_model, num_classes=n, dim=m.essnet_dim, k=m.essnet_k or m.top_k)
    elif m.multilabel or m.label_selection:
        classifier = RankSegPixelClassifier(in_channels=m.d_model, num_classes=n, dim=m.d_model, num_heads=m.n_heads,
                                            mlp_ratio=m.mlp_ratio, rankseg=RankSegOptions.from_config(m))
    else:
        classifier = LinearClassifier(in_channels=m.d_model, num_classes=n)
    return PixelSegmenter(encoder=encoder, decoder=decoder, classifier=classifier, num_classes=n,
                          freeze_encoder=m.freeze_backbone)
