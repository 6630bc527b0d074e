//! The register's sale plan (`stateline_store_fault_tests::plan`): sales are recorded one by
//! one at the given interval until the database holds the planned number, each announced on
//! stdout only after it committed, and each wakes the link and the delivery worker as a sale in
//! the app does.
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

use crate::args::Args;
use crate::workers::Workers;

/// Writes one protocol line and flushes it.
pub fn say(line: &Line) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Sales already in the database.
fn sales_made(db: &Database) -> Result<u64, String> {
    Ok(db
        .counts(None)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|c| c.count)
        .sum())
}

/// Records the planned sales (see the module doc).
pub async fn sell(args: &Args, db: Database, workers: &Workers) -> Result<(), String> {
    let reader = db.clone();
    let mut n = tokio::task::spawn_blocking(move || sales_made(&reader))
        .await
        .map_err(|e| e.to_string())??;
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
                workers.link.sync_now();
                workers.delivery.sync_now();
            }
            Err(error) => say(&Line::Refused {
                user,
                label,
                code: error.code().to_owned(),
            }),
        }
    }
    say(&Line::Planned);
    Ok(())
}
