//! Shared set-up for the store tests: a real database file in a temp dir, a manual clock, one
//! licence with packages and adjustment reasons.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use stateline_store::{
    AdjustmentReason, Database, Licence, ManualClock, MetrcPackage, Money, NewAdjustment, NewSale,
    NewSaleLine, OpenOptions, Quantity,
};

pub const LIC: &str = "402R-00001";

#[derive(Debug)]
pub struct Store {
    pub dir: tempfile::TempDir,
    pub db: Database,
    pub clock: ManualClock,
}

pub fn t0() -> Timestamp {
    "2026-11-22T21:02:11Z".parse().unwrap()
}

pub fn q(text: &str) -> Quantity {
    Quantity::parse(text).unwrap()
}

pub fn open_at(path: &Path, clock: &ManualClock) -> Result<Database, stateline_store::StoreError> {
    open_seeded(path, clock, 7)
}

/// [`open_at`] with another seed: another install id and other client ids (another register).
pub fn open_seeded(
    path: &Path,
    clock: &ManualClock,
    seed: u64,
) -> Result<Database, stateline_store::StoreError> {
    Database::open_with(
        path,
        OpenOptions {
            clock: Arc::new(clock.clone()),
            rng_seed: Some(seed),
            ..OpenOptions::default()
        },
    )
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("stateline.db")
}

/// A store with licence LIC, packages A (10 g), B (5 each) and reasons.
pub fn store() -> Store {
    register(7)
}

/// [`store`] for another register of a store: the same licence and packages, its own install id
/// and client ids (from `seed`).
pub fn register(seed: u64) -> Store {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(t0());
    let db = open_seeded(&db_path(&dir), &clock, seed).unwrap();
    db.upsert_licence(&Licence {
        number: LIC.into(),
        name: "Green Door".into(),
        time_zone: "America/Denver".into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .unwrap();
    db.upsert_packages_from_metrc(
        LIC,
        &[
            pkg("1A4000000000000000000001", "Blue Dream", "Grams", "10"),
            pkg("1A4000000000000000000002", "Gummies", "Each", "5"),
            pkg("1A4000000000000000000003", "Pre-roll", "Each", "20"),
        ],
    )
    .unwrap();
    db.upsert_adjustment_reasons(
        LIC,
        &[
            AdjustmentReason {
                name: "Drying".into(),
                requires_note: false,
            },
            AdjustmentReason {
                name: "Entry Error".into(),
                requires_note: true,
            },
        ],
    )
    .unwrap();
    Store { dir, db, clock }
}

pub const A: &str = "1A4000000000000000000001";
pub const B: &str = "1A4000000000000000000002";
pub const C: &str = "1A4000000000000000000003";

pub fn pkg(label: &str, item: &str, unit: &str, qty: &str) -> MetrcPackage {
    MetrcPackage {
        label: label.into(),
        item_name: item.into(),
        unit_of_measure: unit.into(),
        quantity: q(qty),
        last_modified: None,
    }
}

pub fn unit_of(label: &str) -> &'static str {
    if label == A { "Grams" } else { "Each" }
}

pub fn line(label: &str, qty: &str) -> NewSaleLine {
    NewSaleLine {
        label: label.into(),
        quantity: q(qty),
        unit_of_measure: unit_of(label).into(),
        total_amount: Money::parse("25").unwrap(),
    }
}

pub fn sale_by(user: &str, lines: Vec<NewSaleLine>) -> NewSale {
    NewSale {
        licence: LIC.into(),
        acting_user: user.into(),
        occurred_at: t0(),
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        lines,
    }
}

pub fn sale(lines: Vec<NewSaleLine>) -> NewSale {
    sale_by("alice", lines)
}

pub fn adjustment(label: &str, qty: &str) -> NewAdjustment {
    NewAdjustment {
        licence: LIC.into(),
        acting_user: "manager".into(),
        label: label.into(),
        quantity: q(qty),
        unit_of_measure: unit_of(label).into(),
        reason: "Drying".into(),
        note: None,
        occurred_at: t0(),
    }
}

/// Row count of a table, read through a separate raw connection.
pub fn count(store: &Store, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db_path(&store.dir)).unwrap();
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Asserts that `packages.pending_delta` equals Σ `package_effects.delta` + Σ
/// `peer_effects.delta` (this register's and the other registers' records) for every package.
pub fn assert_pending_in_step(store: &Store) {
    let conn = rusqlite::Connection::open(db_path(&store.dir)).unwrap();
    let off: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM packages p WHERE p.pending_delta <>
                 (SELECT COALESCE(SUM(delta), 0) FROM package_effects e WHERE e.label = p.label)
                 + (SELECT COALESCE(SUM(delta), 0) FROM peer_effects e WHERE e.label = p.label)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        off, 0,
        "pending_delta out of step with package_effects and peer_effects"
    );
}
