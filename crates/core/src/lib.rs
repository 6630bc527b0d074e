//! Stateline core.
