//! Looking a record up in Metrc by the identifier it carries, for every kind of record: what the
//! engine does before resending an ambiguous record, and what a register delivering another
//! register's handed-over record does when a lease on it was held before (`stateline-courier`).
//!
//! Guarantees: a lookup only reads (GETs) and never sends; `Found` means Metrc holds the record's
//! effect (the receipt with our external number, the package with our new tag, an adjustment
//! whose note carries our token, the receipt archived, the receipt with exactly the corrected
//! lines); `Missing` means it does not (yet); any failure is Metrc's error, so the caller sends
//! nothing on it.

use metrc::{AdjustmentRecord, ErrorClass, MetrcClient, MetrcError, UserKey};
use stateline_store::Quantity;
use stateline_store::records::sales::NewSaleLine;

/// What a lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// In Metrc, with its id when Metrc gives one.
    Found(Option<i64>),
    Missing,
}

/// What to look for.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// A receipt by its external number (the sale's client id).
    Receipt { client_id: &'a str },
    /// A package by the new tag a new-package record creates.
    Package { tag: &'a str },
    /// An adjustment by the token its note carries (from the record's client id).
    Adjustment { client_id: &'a str },
    /// A void: the receipt archived.
    Void { receipt_id: i64 },
    /// A correction: the receipt holding exactly these lines.
    Correction {
        receipt_id: i64,
        lines: &'a [NewSaleLine],
    },
}

/// A receipt's or correction's lines as (label, milli-quantity), sorted, for comparison.
fn line_set(lines: &[NewSaleLine]) -> Vec<(String, i64)> {
    let mut set: Vec<(String, i64)> = lines
        .iter()
        .map(|l| (l.label.clone(), l.quantity.0))
        .collect();
    set.sort();
    set
}

/// Whether a licence's adjustment history holds the adjustment recorded as `client_id` (its note
/// carries the record's token). Metrc lists adjustments only licence-wide, so a caller looking
/// several up reads the history once and asks this for each.
pub fn adjustment_in(history: &[AdjustmentRecord], client_id: &str) -> Lookup {
    let token = stateline_store::records::adjustments::note_token(client_id);
    if history.iter().any(|a| {
        a.adjustment_note
            .as_deref()
            .is_some_and(|note| note.contains(&token))
    }) {
        Lookup::Found(None)
    } else {
        Lookup::Missing
    }
}

/// Looks `target` up at `licence` with `key` (see the module doc).
pub async fn find(
    client: &MetrcClient,
    key: &UserKey,
    licence: &str,
    target: Target<'_>,
) -> Result<Lookup, MetrcError> {
    match target {
        Target::Receipt { client_id } => Ok(client
            .receipt_by_external_number(key, licence, client_id)
            .await?
            .map_or(Lookup::Missing, |receipt| Lookup::Found(Some(receipt.id)))),
        Target::Package { tag } => match client.package_by_label(key, licence, tag).await {
            Ok(found) => Ok(found.map_or(Lookup::Missing, |p| Lookup::Found(Some(p.id)))),
            // Metrc answers 401 for a label it does not know at this licence, which looks like
            // a key problem: the active package list tells the two apart.
            Err(e) if matches!(e.class(), ErrorClass::Unauthorized | ErrorClass::Forbidden) => {
                let packages = client.active_packages(key, licence, None).await?;
                Ok(packages
                    .iter()
                    .find(|p| p.label == tag)
                    .map_or(Lookup::Missing, |p| Lookup::Found(Some(p.id))))
            }
            Err(e) => Err(e),
        },
        Target::Adjustment { client_id } => {
            let history = client.package_adjustments(key, licence).await?;
            Ok(adjustment_in(&history, client_id))
        }
        Target::Void { receipt_id } => {
            let receipt = client.receipt(key, licence, receipt_id).await?;
            Ok(match receipt {
                Some(r) if r.archived_date.is_none() => Lookup::Missing,
                _ => Lookup::Found(Some(receipt_id)),
            })
        }
        Target::Correction { receipt_id, lines } => {
            let expected = line_set(lines);
            let receipt = client.receipt(key, licence, receipt_id).await?;
            let matches = receipt.is_some_and(|r| {
                let mut seen: Vec<(String, i64)> = r
                    .transactions
                    .iter()
                    .map(|t| {
                        let quantity = t.quantity_sold.or(t.quantity).unwrap_or_default();
                        (
                            t.package_label.clone().unwrap_or_default(),
                            Quantity::from_f64(quantity).milli(),
                        )
                    })
                    .collect();
                seen.sort();
                seen == expected
            });
            Ok(if matches {
                Lookup::Found(Some(receipt_id))
            } else {
                Lookup::Missing
            })
        }
    }
}
