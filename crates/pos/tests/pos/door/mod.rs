//! The Metrc-compatible door over real HTTP on loopback: a demo-mode app (its own Metrc
//! emulator, faults and all) serving the door, driven by Stateline's own Metrc client pointed at
//! the door, as a POS that speaks Metrc would be.

mod fixture;
mod keys;
mod permissions;
mod reads;
mod sales;
mod shapes;
