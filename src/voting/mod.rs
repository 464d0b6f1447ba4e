//! Voting: what a citizen's scan reaches. A code verified once (`service::VerifiedCode`), the
//! vote's fields as types (`vote`), the use cases with their own error enums (`service`), the
//! citizen's routes (`routes`), the JSON vote's OpenAPI operation (`openapi.json`) and, on
//! Workers, their handlers (`handlers`). The vote's storage (the `Store` trait, its statements
//! shared by D1 and the native test store) is `crate::store`, which the queue consumer and the
//! crons share.

#[cfg(target_arch = "wasm32")]
pub(crate) mod handlers;
pub mod routes;
pub mod service;
pub mod vote;
