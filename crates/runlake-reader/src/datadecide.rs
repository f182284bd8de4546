//! DataDecide-style selections (filled in below).
