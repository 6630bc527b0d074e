//! Metrc emulator.
