"""ember's differentiable primitives, grouped by family. Each Op has forward and backward side by side."""
