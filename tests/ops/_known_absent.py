"""Public names of torch (2.13) that ember does not have, per namespace: the allow-list of
tests/ops/test_namespace_coverage.py. Remove a name when it is implemented; never add one without a reason.
What is left, and why: complex numbers (ember has no complex dtype: angle, imag, polar, complex, view_as_real/complex,
cfloat/cdouble/chalf, eig/eigvals, stft/istft), bfloat16 (no such NumPy dtype), sparse layouts (smm, spmm, dsmm,
hsmm, hspmm, saddmm, sspaddmm), quantization (choose_qparams_optimized), the internal batch_norm_* kernels and
raw RNN/grid_sampler entry points (gru, lstm, rnn_tanh, rnn_relu, grid_sampler*, convolution, conv_tbc),
names torch keeps only to raise a removal error (symeig, solve, lstsq, matrix_rank, frobenius_norm, nuclear_norm,
set_default_tensor_type), randomized low-rank solvers (lobpcg, pca_lowrank, svd_lowrank), LDL factorization,
ormqr, nonzero_static, slice_inverse, empty_strided/empty_permuted/frombuffer (storage layouts), gradient, binomial,
embedding_bag/embedding_renorm_ at the top level and the in-place *_ functional aliases."""

KNOWN_ABSENT = {
    "torch": (
        "affine_grid_generator alpha_dropout_ angle batch_norm_backward_elemt batch_norm_backward_reduce "
        "batch_norm_elemt batch_norm_gather_stats batch_norm_gather_stats_with_counts batch_norm_stats "
        "batch_norm_update_stats binomial celu_ choose_qparams_optimized complex conv_tbc convolution dropout_ dsmm "
        "eig embedding_bag embedding_renorm_ empty_permuted empty_strided feature_alpha_dropout_ feature_dropout "
        "feature_dropout_ frobenius_norm frombuffer gradient grid_sampler grid_sampler_2d grid_sampler_3d gru hsmm "
        "hspmm imag istft lobpcg lstm lstsq matrix_rank nonzero_static norm_except_dim nuclear_norm ormqr pca_lowrank "
        "polar rnn_relu rnn_tanh rrelu_ saddmm selu_ set_default_tensor_type slice_inverse smm solve spmm sspaddmm "
        "stft svd_lowrank symeig view_as_complex view_as_real "
    ),
    "Tensor": (
        "angle bfloat16 cdouble cfloat chalf eig index istft lstsq nonzero_static ormqr slice_inverse smm solve "
        "sspaddmm stft symeig "
    ),
    "linalg": (
        "eig eigvals ldl_factor ldl_factor_ex ldl_solve "
    ),
    "special": (
        " "
    ),
    "nn.functional": (
        "conv_tbc "
    ),
}
