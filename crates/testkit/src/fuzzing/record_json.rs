//! Oracle of the `cli_record_json` target: the JSON of `stateline record sale|adjustment|
//! new-packages --file F`, parsed as the command parses it and recorded into a real database.
//!
//! Input: the file's bytes, tried as each of the three kinds. The parse is the command's own
//! (`serde_path_to_error` over `serde_json`, trailing characters refused; the command is a binary
//! crate, so its few lines are repeated here — `crates/cli/tests/cli/record_json_props.rs` runs
//! the real binary on the same corpus). Checks: nothing panics; a parsed request is recorded or
//! refused with a coded store error, never `internal`; a refusal leaves every table of the
//! database exactly as it was (nothing half-written); after either, each package's pending delta
//! is the sum of its effects.

use std::cell::RefCell;

use serde::de::DeserializeOwned;
use stateline_store::{NewAdjustment, NewPackages, NewSale, SaleExceptions, StoreError};

use crate::store::{Store, assert_pending_in_step, db_path, store};

/// The command's input cap (`record::MAX_INPUT_BYTES`): a larger file is refused unread.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Records accepted before the database is made afresh (so packages do not run dry for good).
const FRESH_AFTER: u32 = 500;

thread_local! {
    static FIXTURE: RefCell<Option<(Store, u32)>> = const { RefCell::new(None) };
}

/// The command's parse: the whole text is one value of `T`, the path of a field at fault named.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        format!("field `{path}`: {}", e.into_inner())
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Row counts of every table, read through a connection of its own.
pub fn table_counts(store: &Store) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db_path(&store.dir)).expect("database opens");
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables listed");
    names
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                .expect("table counted");
            (t, n)
        })
        .collect()
}

fn outcome<T>(kind: &str, store: &Store, before: &[(String, i64)], result: Result<T, StoreError>) {
    match result {
        Ok(_) => {}
        Err(e) => {
            assert!(
                !e.code().is_empty() && e.code() != "internal",
                "{kind} refused without a proper code: {e:?}"
            );
            assert_eq!(
                table_counts(store),
                before,
                "a refused {kind} changed the database ({e})"
            );
        }
    }
    assert_pending_in_step(store);
}

/// Runs one input through the oracle (panics on a finding).
pub fn check(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sale = parse::<NewSale>(text);
    let adjustment = parse::<NewAdjustment>(text);
    let packages = parse::<NewPackages>(text);
    if sale.is_err() && adjustment.is_err() && packages.is_err() {
        return;
    }
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(_, n)| *n >= FRESH_AFTER) {
            *slot = Some((store(), 0));
        }
        let (fixture, recorded) = slot.as_mut().expect("fixture made");
        *recorded += 1;
        if let Ok(sale) = sale {
            let before = table_counts(fixture);
            let r = fixture
                .db
                .record_sale_with(&sale, &SaleExceptions::default());
            outcome("sale", fixture, &before, r);
        }
        if let Ok(adjustment) = adjustment {
            let before = table_counts(fixture);
            let r = fixture.db.record_adjustment(&adjustment);
            outcome("adjustment", fixture, &before, r);
        }
        if let Ok(packages) = packages {
            let before = table_counts(fixture);
            let r = fixture.db.record_new_packages(&packages);
            outcome("new packages", fixture, &before, r);
        }
    });
}
