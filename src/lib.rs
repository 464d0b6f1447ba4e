//! civicrate: citizens rate the service they got from a public servant.
//!
//! Everything but `glue` is plain Rust, free of `worker` types, and is unit-tested natively.
//! `glue` (wasm32 only) resolves the bindings once, routes requests, and adapts D1 to `store`.

// A panic resets the WASM instance and fails every request in flight: none outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unimplemented,
        clippy::todo,
        clippy::indexing_slicing
    )
)]

pub mod account;
pub mod admin;
pub mod alert;
pub mod api;
pub mod audit;
pub mod between_workers;
pub mod cf_access;
pub mod clock;
pub mod common_passwords;
pub mod config;
pub mod directory;
pub mod i18n;
pub mod import;
pub mod integrity;
pub mod json_object;
pub mod local_day;
pub mod moderation;
pub mod one_time;
pub mod org;
pub mod pages;
pub mod poster;
pub mod public;
pub mod qr;
pub mod receipt;
pub mod results;
pub mod routes;
pub mod same_site;
pub mod scale;
pub mod shard;
pub mod store;
pub mod token;
pub mod vote_time;
pub mod voting;

#[cfg(target_arch = "wasm32")]
mod glue;
