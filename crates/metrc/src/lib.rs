//! Metrc v2 client.
