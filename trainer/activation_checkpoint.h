// Per-layer activation checkpointing for the XLM-R encoder (LibTorch has no torch.utils.checkpoint).
// With it on, the forward pass keeps only each layer's input; backward runs the layer again with
// gradients and back-propagates through that copy. Together with sub-batches (train_step.h) this is
// the reference's memory saving (M3-SPEC §4, "Sub-batches with gradient checkpointing").
//
// Dropout: the recomputation must draw the same dropout masks as the first pass, or the gradients
// belong to a different network. The forward pass saves the device's generator state and the
// backward pass restores it for the recomputation, then puts the generator back where it was
// ("fork_rng"), so the RNG stream of the rest of training is unchanged by checkpointing.
// Autocast: whether bf16 autocast was on is saved too and re-established on the backward thread.
#pragma once
#include "encoder/m3_model.h"

namespace m3::trainer {

void enable_activation_checkpointing(XlmRoberta& encoder);
void disable_activation_checkpointing(XlmRoberta& encoder);

}  // namespace m3::trainer
