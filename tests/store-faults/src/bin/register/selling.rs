//! The register's sale plan (`stateline_store_fault_tests::plan`): sales are recorded one by
//! one at the given interval until the database holds the planned number, each announced on
//! stdout only after it committed, and each wakes the link and the delivery worker as a sale in
//! the app does.
//!
//! The plan starts when the driver says `GO` (see `commands`).
//!
//! Guarantees: an `ACK` line is written and flushed only after `record_sale` returned (the sale
//! and its outbox entry committed in one transaction); a refused sale is reported as `REFUSED`
//! and not tried again; the plan counts the sales already in the database, so a restart goes on
//! where a kill stopped it.

use std::io::Write;
use std::time::Duration;

use metrc_emulator::DEMO_LICENSE;
use stateline_store::{Database, Money, NewSale, NewSaleLine, Quantity};
use stateline_store_fault_tests::lines::{Ack, Line};
use stateline_store_fault_tests::plan;
use tokio::sync::oneshot;

use crate::args::Args;
use crate::workers::Workers;

/// Writes one protocol line and flushes it.
pub fn say(line: &Line) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Sales already in the database (confirmed ones too).
fn sales_made(args: &Args) -> Result<u64, String> {
    let conn = rusqlite::Connection::open(args.data.join("stateline.sqlite"))
        .map_err(|e| e.to_string())?;
    conn.query_row("SELECT count(*) FROM outbox WHERE kind = 'sale'", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
    .map_err(|e| e.to_string())
}

/// What this register counts against `label`, for the log of a refused sale: the package row
/// and every effect, its own and the other registers'.
fn counted(args: &Args, label: &str) -> String {
    let read = || -> rusqlite::Result<String> {
        let conn = rusqlite::Connection::open(args.data.join("stateline.sqlite"))?;
        let package: (i64, i64) = conn.query_row(
            "SELECT metrc_quantity, pending_delta FROM packages WHERE label = ?1",
            [label],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let own: Vec<(i64, i64)> = conn
            .prepare("SELECT entry_id, delta FROM package_effects WHERE label = ?1")?
            .query_map([label], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let peers: Vec<(String, i64, i64, Option<i64>)> = conn
            .prepare(
                "SELECT register_id, local_seq, delta, confirmed_at FROM peer_effects
                 WHERE label = ?1 ORDER BY register_id, local_seq",
            )?
            .query_map([label], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(format!(
            "metrc_quantity and pending {package:?}; own effects {own:?}; other registers' {peers:?}"
        ))
    };
    read().unwrap_or_else(|e| format!("unreadable: {e}"))
}

/// Records the planned sales (see the module doc).
pub async fn sell(
    args: &Args,
    db: Database,
    workers: &Workers,
    go: oneshot::Receiver<()>,
) -> Result<(), String> {
    go.await.map_err(|_| "no GO".to_owned())?;
    let mut n = sales_made(args)?;
    let mut attempts = n;
    while attempts < args.sales {
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        let (user, label) = plan::sale(n, &args.sellers, &args.labels);
        let writer = db.clone();
        let sale = NewSale {
            licence: DEMO_LICENSE.into(),
            acting_user: user.clone(),
            occurred_at: db.now(),
            customer_type: "Consumer".into(),
            patient_number: None,
            caregiver_number: None,
            identification_method: None,
            lines: vec![NewSaleLine {
                label: label.clone(),
                quantity: Quantity::parse("1").expect("one unit"),
                unit_of_measure: "Each".into(),
                total_amount: Money::parse("10.00").expect("an amount"),
            }],
        };
        let recorded = tokio::task::spawn_blocking(move || writer.record_sale(&sale))
            .await
            .map_err(|e| e.to_string())?;
        attempts += 1;
        match recorded {
            Ok(sale) => {
                n += 1;
                say(&Line::Ack(Ack {
                    client_id: sale.client_id,
                    user,
                    at: sale.occurred_at,
                }));
                workers.nudge();
            }
            Err(error) => {
                tracing::error!(%error, %label, counted = %counted(args, &label), "a planned sale was refused");
                say(&Line::Refused {
                    user,
                    label,
                    code: error.code().to_owned(),
                })
            }
        }
    }
    say(&Line::Planned);
    Ok(())
}
