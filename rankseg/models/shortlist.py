"""The large-vocabulary shortlist (issue 16): a linear-cost scorer ranks all N classes of an image, and only its
top M go through the paper's multi-label layer and label selection.

At N = 21,841 the paper's `encoder` layer (self-attention over the tokens and all N class embeddings) is almost
all of a RankSeg training step, and even the linear `cross_attention` head spends most of its time in the MLP
and projections over N class tokens. Global average pooling followed by one linear layer is the only scorer whose
cost stayed within 3× from N = 1,284 to 21,841 (see BENCHMARK.md), so it does the coarse ranking, and the
expensive layer sees a fixed number M of classes whatever N is.
"""

from __future__ import annotations

from torch import Tensor, nn


class ClassShortlist(nn.Module):
    """Coarse image-level class scores and the M best classes of each image.

    Inputs: tokens (B, P, D) patch tokens; m, the shortlist length (≤ N).
    Returns: scores (B, N) from LayerNorm(mean of the tokens) → Linear(D, N), and shortlist (B, M) long class
    ids in decreasing order of score (computed on detached scores: the choice itself has no gradient).
    """

    def __init__(self, *, num_classes: int, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, tokens: Tensor, m: int) -> tuple[Tensor, Tensor]:
        scores = self.fc(self.norm(tokens.mean(dim=1)))
        n = scores.shape[1]
        if not 0 < m <= n:
            raise ValueError(f"ml_shortlist must be in 1..N, got M={m} for N={n} classes")
        return scores, scores.detach().topk(m, dim=1, sorted=True).indices
