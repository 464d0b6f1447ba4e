//! Workers glue (wasm32 only).
