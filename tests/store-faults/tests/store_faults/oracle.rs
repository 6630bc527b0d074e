//! The oracle, checked after healing and draining with every register stopped: Metrc's ledger
//! (the emulator's receipts made during the run) is exactly the sales in the registers'
//! databases — every acknowledged sale among them, none lost — each once, not voided, with its
//! original time (the register's clock when it was sold, in the licence's zone) and recorded by
//! the seller's Metrc user (the seller's key, wherever it was delivered from); and no planned
//! sale was refused.
//!
//! Guarantees: the registers' databases are read read-only, as files (the product's API is not
//! asked to agree with itself); a failure says which sale and what was found.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metrc_emulator::{Control, DEMO_LICENSE, DEMO_TIME_ZONE};
use rusqlite::{Connection, OpenFlags};
use stateline_delivery::payload::local_date_time;
use stateline_store_fault_tests::plan;

use crate::register::Till;

/// What the oracle checked.
#[derive(Debug, Default, Clone, Copy)]
pub struct Checked {
    /// Sales in the registers' databases (and so in Metrc).
    pub sales: usize,
    /// Of which acknowledged on stdout.
    pub acked: usize,
    /// Of which handed over and delivered by another register.
    pub handed_over: usize,
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Whether every record of the register at `path` is confirmed (false while it cannot be read).
pub fn all_confirmed(path: &Path) -> bool {
    open(path)
        .and_then(|c| {
            c.query_row(
                "SELECT count(*) FILTER (WHERE state <> 'confirmed'), count(*) FROM outbox",
                [],
                |r| Ok(r.get::<_, i64>(0)? == 0 && r.get::<_, i64>(1)? > 0),
            )
        })
        .unwrap_or(false)
}

/// The register's records by state, for a failure's message.
pub fn states(path: &Path) -> Vec<(String, i64)> {
    open(path)
        .and_then(|c| {
            let mut stmt =
                c.prepare("SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap_or_default()
}

/// A sale as its register's database holds it.
struct Made {
    register: String,
    user: String,
    at_ms: i64,
    state: String,
}

fn sales_of(till: &Till) -> Result<(Vec<(String, Made)>, usize), String> {
    let conn = open(&till.database_path()).map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare(
            "SELECT client_id, acting_user, occurred_at, state FROM outbox WHERE kind = 'sale'",
        )
        .map_err(|e| e.to_string())?;
    let made = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Made {
                    register: till.spec.name.clone(),
                    user: r.get(1)?,
                    at_ms: r.get(2)?,
                    state: r.get(3)?,
                },
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| e.to_string())?;
    let handed: i64 = conn
        .query_row("SELECT count(*) FROM handovers", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    Ok((made, handed as usize))
}

/// Metrc's wire form of a local time (`SalesDateTime`, milliseconds, no offset).
fn wire_time(at_ms: i64, tz: &TimeZone) -> Result<String, String> {
    let at = Timestamp::from_millisecond(at_ms).map_err(|e| e.to_string())?;
    Ok(local_date_time(at, tz)
        .strftime("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string())
}

/// Checks the oracle (see the module doc).
pub fn check(
    tills: &[Till],
    control: &Control,
    receipts_before: &BTreeSet<u64>,
) -> Result<Checked, String> {
    let tz = TimeZone::get(DEMO_TIME_ZONE).map_err(|e| e.to_string())?;
    let mut checked = Checked::default();
    let mut made: BTreeMap<String, Made> = BTreeMap::new();
    for till in tills {
        let output = till.output.lock().expect("output");
        if !output.refused.is_empty() {
            return Err(format!(
                "{} refused planned sales (the packages hold what the plans sell): {:?}",
                till.spec.name, output.refused
            ));
        }
        let (sales, handed) = sales_of(till)?;
        checked.handed_over += handed;
        for (client_id, sale) in sales {
            if made.insert(client_id.clone(), sale).is_some() {
                return Err(format!("two registers made sale {client_id}"));
            }
        }
        for ack in &output.acks {
            let Some(sale) = made.get(&ack.client_id) else {
                return Err(format!(
                    "{} acknowledged sale {} and lost it",
                    till.spec.name, ack.client_id
                ));
            };
            if sale.user != ack.user || sale.at_ms != ack.at.as_millisecond() {
                return Err(format!(
                    "{} acknowledged sale {} by {} at {}; its database says {} at {}",
                    till.spec.name, ack.client_id, ack.user, ack.at, sale.user, sale.at_ms
                ));
            }
            checked.acked += 1;
        }
    }
    checked.sales = made.len();

    let mut ledger: BTreeMap<String, Vec<metrc_emulator::Receipt>> = BTreeMap::new();
    for receipt in control.receipts(DEMO_LICENSE) {
        if receipts_before.contains(&receipt.id) {
            continue;
        }
        let Some(external) = receipt.external_receipt_number.clone() else {
            return Err(format!("Metrc holds receipt {} with no number", receipt.id));
        };
        ledger.entry(external).or_default().push(receipt);
    }
    for (client_id, sale) in &made {
        let found = ledger.get(client_id).map(Vec::as_slice).unwrap_or_default();
        let [receipt] = found else {
            return Err(format!(
                "{}'s sale {client_id} by {} ({}) is in Metrc {} times",
                sale.register,
                sale.user,
                sale.state,
                found.len()
            ));
        };
        if sale.state != "confirmed" {
            return Err(format!(
                "{}'s sale {client_id} is in Metrc but {} here",
                sale.register, sale.state
            ));
        }
        if receipt.voided {
            return Err(format!("{client_id} is voided in Metrc"));
        }
        let expected = wire_time(sale.at_ms, &tz)?;
        if receipt.sales_date_time != expected {
            return Err(format!(
                "{}'s sale {client_id} is in Metrc at {}; it was made at {expected}",
                sale.register, receipt.sales_date_time
            ));
        }
        let seller = plan::metrc_user(&sale.user);
        if receipt.recorded_by_user_name.as_deref() != seller {
            return Err(format!(
                "{}'s sale {client_id} by {} was recorded in Metrc by {:?}, not {seller:?}",
                sale.register, sale.user, receipt.recorded_by_user_name
            ));
        }
    }
    let unknown: Vec<&String> = ledger.keys().filter(|k| !made.contains_key(*k)).collect();
    if !unknown.is_empty() {
        return Err(format!(
            "Metrc holds receipts no register made: {unknown:?}"
        ));
    }
    Ok(checked)
}
