//! Nothing here: this package exists for `benches/core.rs` (see Cargo.toml).
