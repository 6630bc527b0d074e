//! The local API through real HTTP on loopback, served by a real app (demo mode: the embedded
//! Metrc emulator) on a fresh SQLite data folder: every route and its refusals, the token
//! lifecycle, idempotency on the ticket id, the event stream, the local-network TLS mode, and
//! the committed OpenAPI document.

mod canary;
mod fixture;
mod medical;
mod openapi;
mod records;
mod store;
mod stream;
mod tls;
mod tokens;
