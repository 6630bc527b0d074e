//! The local-fault suite: faults of the register's own computer, made for real — a data folder
//! on a tiny tmpfs that fills mid-shift, a read-only data folder, the keychain daemon killed
//! mid-send, the clock jumping back an hour during a drain. Each test says what it guarantees.

mod app_full_disk;
mod clock_back;
mod full_disk;
mod keychain_daemon;
mod read_only;
mod register;
