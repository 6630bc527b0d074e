//! The local API through real HTTP on loopback, served by a real app (demo mode: the embedded
//! Metrc emulator) on a fresh SQLite data folder: every route and its refusals, the token
//! lifecycle, idempotency on the ticket id, the event stream, the local-network TLS mode, the
//! committed OpenAPI document, the canary scan, and the Metrc-compatible door (`door`).

mod canary;
mod door;
mod fixture;
mod medical;
mod openapi;
mod records;
mod store;
mod stream;
mod tls;
mod tokens;
