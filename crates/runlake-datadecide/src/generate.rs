//! Deterministic full-scale DataDecide-shaped raw exports (for benchmarks and tests).
