"""Mask2Former's transformer decoder: learned queries, masked cross-attention round-robin over scales,
self-attention, FFN; a mask prediction before the first layer and after every layer (deep supervision)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sine_position_encoding(h: int, w: int, dim: int, device: torch.device) -> Tensor:
    """DETR's 2-D sine encoding, normalised coordinates: (h·w, dim)."""
    half = dim // 2
    y = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) / h * 2 * math.pi
    x = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) / w * 2 * math.pi
    freq = 10000 ** (2 * (torch.arange(half, device=device) // 2) / half)
    py, px = y[:, None] / freq, x[:, None] / freq
    py = torch.stack([py[:, 0::2].sin(), py[:, 1::2].cos()], dim=2).flatten(1)
    px = torch.stack([px[:, 0::2].sin(), px[:, 1::2].cos()], dim=2).flatten(1)
    pos = torch.cat([py[:, None, :].expand(h, w, half), px[None, :, :].expand(h, w, half)], dim=2)
    return pos.flatten(0, 1)


class MaskedDecoderLayer(nn.Module):
    """Masked cross-attention → self-attention → FFN, post-norm as in Mask2Former.

    queries (B, Q, D), query_pos (Q, D), memory (B, S, D), memory_pos (S, D), attn_mask (B·heads, Q, S) bool
    (True = not attended) → (B, Q, D).
    """

    def __init__(self, *, dim: int, num_heads: int, dim_feedforward: int) -> None:
        super().__init__()
        self.cross = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.self_attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(dim, dim_feedforward), nn.ReLU(inplace=True), nn.Linear(dim_feedforward, dim))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, queries: Tensor, query_pos: Tensor, memory: Tensor, memory_pos: Tensor,
                attn_mask: Tensor | None) -> Tensor:
        x = self.cross(queries + query_pos, memory + memory_pos, memory, attn_mask=attn_mask, need_weights=False)[0]
        queries = self.norm1(queries + x)
        q = queries + query_pos
        queries = self.norm2(queries + self.self_attn(q, q, queries, need_weights=False)[0])
        return self.norm3(queries + self.ffn(queries))


class MLP(nn.Sequential):
    """Linear-ReLU layers (Mask2Former's mask embedding: 3 layers)."""

    def __init__(self, dim: int, out: int, layers: int = 3) -> None:
        mods: list[nn.Module] = []
        for i in range(layers):
            mods.append(nn.Linear(dim, out if i == layers - 1 else dim))
            if i < layers - 1:
                mods.append(nn.ReLU(inplace=True))
        super().__init__(*mods)


class MaskedTransformerDecoder(nn.Module):
    """Learned queries decoded against multi-scale features, one scale per layer in turn (coarse to fine).

    Inputs: multi-scale features, a list of L maps (B·T, D, h_l, w_l) (T frames per clip; T = 1 for images),
    mask features (B·T, D, H/4, W/4), and the clip length T.
    Returns: normed query embeddings after the input and after every layer, each (B, Q, D), and mask logits
    for each of them, (B, Q, T, H/4, W/4). The attention mask of a layer is its predecessor's mask
    (sigmoid < 0.5 is masked; a query that would attend to nothing attends to everything).
    """

    def __init__(self, *, dim: int, num_heads: int, dim_feedforward: int, num_layers: int, num_queries: int,
                 num_levels: int = 3) -> None:
        super().__init__()
        self.num_heads, self.num_levels = num_heads, num_levels
        self.query_feat = nn.Embedding(num_queries, dim)
        self.query_pos = nn.Embedding(num_queries, dim)
        self.level_embed = nn.Embedding(num_levels, dim)
        self.layers = nn.ModuleList([MaskedDecoderLayer(dim=dim, num_heads=num_heads, dim_feedforward=dim_feedforward)
                                     for _ in range(num_layers)])
        self.norm = nn.LayerNorm(dim)
        self.mask_embed = MLP(dim, dim, 3)

    def _predict(self, queries: Tensor, mask_features: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor, Tensor]:
        """queries (B, Q, D), mask features (B, T, D, H, W) → normed queries, masks (B, Q, T, H, W), and the
        attention mask for a memory of T × size tokens, (B·heads, Q, T·h·w)."""
        q = self.norm(queries)
        masks = torch.einsum("bqd,btdhw->bqthw", self.mask_embed(q), mask_features)
        b, nq, t = masks.shape[:3]
        small = F.interpolate(masks.detach().flatten(1, 2).float(), size=size, mode="bilinear", align_corners=False)
        attn = small.view(b, nq, -1).sigmoid() < 0.5
        attn[attn.all(-1)] = False
        return q, masks, attn.repeat_interleave(self.num_heads, dim=0)

    def forward(self, feats: list[Tensor], mask_features: Tensor, frames: int) -> tuple[list[Tensor], list[Tensor]]:
        bt, d = mask_features.shape[:2]
        b = bt // frames
        mask_features = mask_features.view(b, frames, d, *mask_features.shape[-2:])
        memories, positions, sizes = [], [], []
        for lvl, f in enumerate(feats[:self.num_levels]):
            h, w = f.shape[-2:]
            tokens = f.view(b, frames, d, h * w).permute(0, 1, 3, 2).reshape(b, frames * h * w, d)
            memories.append(tokens + self.level_embed.weight[lvl])
            positions.append(sine_position_encoding(h, w, d, f.device).repeat(frames, 1))
            sizes.append((h, w))
        queries = self.query_feat.weight.unsqueeze(0).expand(b, -1, -1)
        query_pos = self.query_pos.weight.unsqueeze(0)
        q, masks, attn = self._predict(queries, mask_features, sizes[0])
        embeddings, all_masks = [q], [masks]
        for i, layer in enumerate(self.layers):
            lvl = i % len(memories)
            queries = layer(queries, query_pos, memories[lvl], positions[lvl].unsqueeze(0), attn)
            q, masks, attn = self._predict(queries, mask_features, sizes[(i + 1) % len(memories)])
            embeddings.append(q)
            all_masks.append(masks)
        return embeddings, all_masks
