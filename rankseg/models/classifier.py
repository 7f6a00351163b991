"""The independent scheme's multi-label classifier (paper Sec. 3.4, Table 6a/b)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rankseg.models.backbone import create_timm_model


class MultiLabelClassifier(nn.Module):
    """A separate timm image classifier with N sigmoid outputs, trained first with the asymmetric loss;
    its scores rank the classes for a segmentation model that has no multi-label head of its own.

    forward(images (B, 3, H, W) float in [0, 1]) → (B, N) logits.
    """

    def __init__(self, *, name: str, num_classes: int, image_size: int, pretrained: bool = False,
                 pretrained_path: str | None = None) -> None:
        super().__init__()
        kwargs = dict(num_classes=num_classes)
        if name.startswith(("vit", "deit", "swin", "beit")):
            kwargs["img_size"] = image_size
        self.net = create_timm_model(name, pretrained=pretrained, pretrained_path=pretrained_path, **kwargs)
        cfg = self.net.pretrained_cfg
        self.register_buffer("mean", _channel(cfg.get("mean", (0.485, 0.456, 0.406))), persistent=False)
        self.register_buffer("std", _channel(cfg.get("std", (0.229, 0.224, 0.225))), persistent=False)

    def forward(self, images: Tensor) -> Tensor:
        return self.net((images - self.mean) / self.std)


def _channel(values) -> Tensor:
    return torch.tensor(values, dtype=torch.float32).view(1, 3, 1, 1)
