#!/usr/bin/env python3
"""Expected initial weights of tests/it/options.rs (numpy's legacy stream, as burnprop draws it).

Used by: init_normal_draws_numpys_randn_times_init_scale, init_glorot_uses_each_layers_fans_and_
glorot_network_the_networks, bias_init_zeros_or_drawn_after_each_layers_weights. The network is
notebook 003's 2-3-1 on the XOR table (which draws nothing), seed 0, row layout: each layer's
W is drawn as [n_in, n_out], then (with --bias-init same) its bias.

    pip install numpy && python3 scripts/reference/options.py
"""
import numpy as np

# --init normal --init-scale 0.3, no biases: W1 (2 x 3) then W2 (3 x 1).
np.random.seed(0)
print("normal x 0.3:", (np.random.randn(9) * 0.3).tolist())

# --init glorot: each layer's bound sqrt(6 / (fan_in + fan_out)).
np.random.seed(0)
b1, b2 = np.sqrt(6 / 5), np.sqrt(6 / 4)
print("glorot:", np.random.uniform(-b1, b1, (2, 3)).ravel().tolist()
      + np.random.uniform(-b2, b2, (3, 1)).ravel().tolist())

# --init normal --init-scale 1 --bias true --bias-init same: W1, b1, W2, b2 = 13 draws.
np.random.seed(0)
print("normal, biases drawn:", np.random.randn(13).tolist())
