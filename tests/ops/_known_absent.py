"""Public names of torch (2.13) that ember does not have yet, per namespace: the allow-list of
tests/ops/test_namespace_coverage.py. Remove a name when it is implemented; never add one without a reason
(most of these are device/layout internals, the legacy LU/eig family, window functions, the RNN cell
functions, 3-D conv/pool (another work item) and the orthogonal-polynomial/Bessel specials)."""

KNOWN_ABSENT = {
    "torch": (
        "addr affine_grid_generator alpha_dropout_ angle as_strided as_strided_ as_strided_scatter bartlett_window "
        "batch_norm_backward_elemt batch_norm_backward_reduce batch_norm_elemt batch_norm_gather_stats "
        "batch_norm_gather_stats_with_counts batch_norm_stats batch_norm_update_stats bilinear binomial "
        "blackman_window celu_ chain_matmul channel_shuffle choose_qparams_optimized "
        "complex constant_pad_nd conv_tbc convolution cosine_embedding_loss ctc_loss detach diagonal_scatter "
        "dropout_ dsmm eig embedding_bag embedding_renorm_ empty_permuted empty_strided feature_alpha_dropout_ "
        "feature_dropout feature_dropout_ fill frexp frobenius_norm frombuffer get_deterministic_debug_mode "
        "gradient grid_sampler grid_sampler_2d grid_sampler_3d gru gru_cell hamming_window hann_window "
        "hinge_embedding_loss histogram histogramdd hsmm hspmm igamma igammac imag init_num_threads "
        "is_anomaly_check_nan_enabled is_anomaly_enabled is_inference is_warn_always_enabled isreal istft "
        "kaiser_window kl_div lobpcg lstm lstm_cell lstsq margin_ranking_loss "
        "matrix_rank nonzero_static norm_except_dim nuclear_norm ormqr pca_lowrank pdist poisson_nll_loss "
        "polar range renorm rnn_relu rnn_relu_cell rnn_tanh rnn_tanh_cell rrelu_ saddmm select_scatter selu_ "
        "set_anomaly_enabled set_default_tensor_type set_deterministic_debug_mode set_flush_denormal set_warn_always "
        "slice_inverse slice_scatter smm solve split_with_sizes spmm sspaddmm stft svd_lowrank symeig "
        "triplet_margin_loss unsafe_chunk unsafe_split unsafe_split_with_sizes view_as_complex "
        "view_as_real"
    ),
    "Tensor": (
        "addr addr_ angle as_strided as_strided_ as_strided_scatter bfloat16 cdouble cfloat chalf "
        "diagonal_scatter eig frexp histogram igamma igamma_ igammac igammac_ index is_inference "
        "is_nonzero isreal istft lstsq multinomial new nonzero_static ormqr renorm renorm_ "
        "select_scatter slice_inverse slice_scatter smm solve split_with_sizes sspaddmm stft sum_to_size symeig "
        "unsafe_chunk unsafe_split unsafe_split_with_sizes "
    ),
    "linalg": (
        "eig eigvals ldl_factor ldl_factor_ex ldl_solve "
        ""
    ),
    "special": (
        "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 chebyshev_polynomial_t chebyshev_polynomial_u "
        "chebyshev_polynomial_v chebyshev_polynomial_w erfcx gammainc gammaincc hermite_polynomial_h "
        "hermite_polynomial_he i1 i1e laguerre_polynomial_l legendre_polynomial_p log_ndtr modified_bessel_i0 "
        "modified_bessel_i1 modified_bessel_k0 modified_bessel_k1 scaled_modified_bessel_k0 scaled_modified_bessel_k1 "
        "shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v "
        "shifted_chebyshev_polynomial_w spherical_bessel_j0 zeta "
    ),
    "nn.functional": (
        "conv_tbc"
    ),
}
