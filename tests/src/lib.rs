//! The cross-architecture suite: see `tests/`.
