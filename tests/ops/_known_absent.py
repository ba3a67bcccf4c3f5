"""Public names of torch (2.13) that ember does not have yet, per namespace: the allow-list of
tests/ops/test_namespace_coverage.py. Remove a name when it is implemented; never add one without a reason
(most of these are device/layout internals, the legacy LU/eig family, window functions, the RNN cell
functions, 3-D conv/pool (another work item) and the orthogonal-polynomial/Bessel specials)."""

KNOWN_ABSENT = {
    "torch": (
        "affine_grid_generator alpha_dropout_ angle "
        "batch_norm_backward_elemt batch_norm_backward_reduce batch_norm_elemt batch_norm_gather_stats "
        "batch_norm_gather_stats_with_counts batch_norm_stats batch_norm_update_stats binomial "
        "celu_ cholesky_inverse cholesky_solve choose_qparams_optimized "
        "complex conv_tbc convolution "
        "dropout_ dsmm eig embedding_bag embedding_renorm_ empty_permuted empty_strided feature_alpha_dropout_ "
        "feature_dropout feature_dropout_ frobenius_norm frombuffer geqrf "
        "gradient grid_sampler grid_sampler_2d grid_sampler_3d gru "
        "hsmm hspmm imag "
        "istft "
        "lobpcg lstm lstsq lu lu_solve lu_unpack matrix_exp "
        "matrix_rank nonzero_static norm_except_dim nuclear_norm orgqr ormqr pca_lowrank "
        "polar rnn_relu rnn_tanh rrelu_ saddmm selu_ "
        "set_default_tensor_type "
        "slice_inverse smm solve spmm sspaddmm stft svd_lowrank symeig "
        "triangular_solve view_as_complex "
        "view_as_real"
    ),
    "Tensor": (
        "angle bfloat16 cdouble cfloat chalf cholesky_inverse "
        "cholesky_solve eig geqrf index "
        "istft lstsq lu lu_solve matrix_exp nonzero_static orgqr ormqr "
        "slice_inverse smm solve sspaddmm stft symeig "
        "triangular_solve "
    ),
    "linalg": (
        "eig eigvals householder_product ldl_factor ldl_factor_ex ldl_solve lu lu_factor lu_factor_ex lu_solve "
        "matrix_exp solve_ex solve_triangular tensorinv tensorsolve vander "
    ),
    "special": (
        ""
    ),
    "nn.functional": (
        "conv_tbc"
    ),
}
