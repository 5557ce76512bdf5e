"""certainly: requirements in, machine-checked proofs out."""
