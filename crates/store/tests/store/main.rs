//! The store's tests: real SQLite files in temporary folders, a manual clock.
//!
//! One test binary per crate; the shared harness is `stateline-testkit`.

mod backup_props;
mod backups;
mod database;
mod deadlines;
mod handovers;
mod limit_sharing;
mod limits;
mod link;
mod outbox;
mod people_sharing;
mod recording;
mod store_views;
mod tickets;
mod users;
