//! The comparison of one local day with Metrc's receipts for it: pure, no I/O.
//!
//! Guarantees: every Metrc receipt and every local sale of the day is looked at exactly once;
//! a receipt is "ours" only if its external number is the client id of a sale of this register
//! or, in a store, of another register's sale in this register's copy (so a sale made at
//! register 2 is never "unknown" at register 1; its own differences are register 2's to find);
//! records still on their way to Metrc (not confirmed, or with a correction or void in flight)
//! are counted as not compared instead of being reported; line comparison is exact (milli-units
//! and cents), summed per package label.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use stateline_store::outbox::EntryState;
use stateline_store::records::sales::NewSaleLine;

use super::{DifferenceKind, FixCode, NewDifference};

/// A receipt as Metrc has it, reduced to what the comparison needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetrcReceipt {
    pub id: i64,
    pub external: Option<String>,
    pub active: bool,
    /// (label, quantity milli, amount cents) per line; `None` when the lines were not fetched.
    pub lines: Option<Vec<(String, i64, i64)>>,
}

/// A local sale of the day, with what Metrc should hold for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalSale {
    pub sale_id: i64,
    pub client_id: String,
    pub entry_state: EntryState,
    pub metrc_id: Option<i64>,
    /// The lines Metrc should have: the latest confirmed correction, else the original lines.
    pub expected_lines: Vec<NewSaleLine>,
    /// A correction or void of this sale is not yet confirmed.
    pub change_in_flight: bool,
    /// A void of this sale is confirmed in Metrc.
    pub voided: bool,
    /// A manager re-sent this sale as another sale (that one is compared instead).
    pub resent: bool,
}

/// What a comparison found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub differences: Vec<NewDifference>,
    pub not_compared: u32,
}

fn sum_local(lines: &[NewSaleLine]) -> BTreeMap<String, (i64, i64)> {
    let mut sums = BTreeMap::new();
    for l in lines {
        let slot = sums.entry(l.label.clone()).or_insert((0, 0));
        slot.0 += l.quantity.milli();
        slot.1 += l.total_amount.cents();
    }
    sums
}

fn sum_metrc(lines: &[(String, i64, i64)]) -> BTreeMap<String, (i64, i64)> {
    let mut sums = BTreeMap::new();
    for (label, qty, cents) in lines {
        let slot = sums.entry(label.clone()).or_insert((0, 0));
        slot.0 += qty;
        slot.1 += cents;
    }
    sums
}

fn qty(milli: i64) -> String {
    stateline_store::Quantity(milli).to_string()
}

fn money(cents: i64) -> String {
    stateline_store::Money(cents).to_string()
}

fn diff(kind: DifferenceKind, sale: Option<&LocalSale>, receipt: Option<i64>) -> NewDifference {
    NewDifference {
        kind,
        sale_id: sale.map(|s| s.sale_id),
        client_id: sale.map(|s| s.client_id.clone()),
        metrc_receipt_id: receipt,
        label: None,
        local_value: None,
        metrc_value: None,
        fix: kind.suggested_fix(),
        fix_text: kind.fix_text().to_owned(),
    }
}

/// Compares the local sales of a day with Metrc's receipts of that day. `ours` holds every
/// client id of a sale made on this register or, in a store, another register (any day).
pub(crate) fn compare(
    local: &[LocalSale],
    receipts: &[MetrcReceipt],
    ours: &HashSet<String>,
) -> Outcome {
    let mut out = Outcome::default();
    let mut by_number: BTreeMap<&str, Vec<&MetrcReceipt>> = BTreeMap::new();
    for r in receipts {
        match r.external.as_deref().filter(|n| ours.contains(*n)) {
            Some(n) => by_number.entry(n).or_default().push(r),
            None => {
                if r.active {
                    let mut d = diff(DifferenceKind::UnknownExternalNumber, None, Some(r.id));
                    d.client_id = r.external.clone();
                    d.metrc_value = Some(match &r.external {
                        Some(n) => format!("external number {n}"),
                        None => "no external number".into(),
                    });
                    out.differences.push(d);
                }
            }
        }
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for sale in local {
        seen.insert(&sale.client_id);
        let found = by_number
            .get(sale.client_id.as_str())
            .cloned()
            .unwrap_or_default();
        let active: Vec<&MetrcReceipt> = found.iter().copied().filter(|r| r.active).collect();
        if sale.entry_state == EntryState::Voided {
            for r in &active {
                let mut d = diff(DifferenceKind::WithdrawnButInMetrc, Some(sale), Some(r.id));
                d.local_value = Some("withdrawn".into());
                d.metrc_value = Some("active".into());
                out.differences.push(d);
            }
            continue;
        }
        if sale.entry_state != EntryState::Confirmed || sale.resent {
            out.not_compared += 1;
            continue;
        }
        let primary = active
            .iter()
            .find(|r| Some(r.id) == sale.metrc_id)
            .or_else(|| active.iter().min_by_key(|r| r.id))
            .copied();
        for r in active
            .iter()
            .filter(|r| Some(r.id) != primary.map(|p| p.id))
        {
            let mut d = diff(
                DifferenceKind::DuplicateExternalNumber,
                Some(sale),
                Some(r.id),
            );
            d.local_value = primary.map(|p| format!("receipt {}", p.id));
            d.metrc_value = Some(format!("receipt {}", r.id));
            out.differences.push(d);
        }
        if sale.change_in_flight {
            out.not_compared += 1;
            continue;
        }
        if sale.voided {
            if let Some(p) = primary {
                let mut d = diff(DifferenceKind::VoidMissingInMetrc, Some(sale), Some(p.id));
                d.local_value = Some("voided".into());
                d.metrc_value = Some("active".into());
                out.differences.push(d);
            }
            continue;
        }
        let Some(primary) = primary else {
            let kind = if found.is_empty() {
                DifferenceKind::MissingInMetrc
            } else {
                DifferenceKind::VoidedOnlyInMetrc
            };
            let receipt = found.first().map(|r| r.id);
            let mut d = diff(kind, Some(sale), receipt);
            d.local_value = Some(match sale.metrc_id {
                Some(id) => format!("confirmed as receipt {id}"),
                None => "confirmed".into(),
            });
            d.metrc_value = Some(
                if found.is_empty() {
                    "not found"
                } else {
                    "voided"
                }
                .into(),
            );
            out.differences.push(d);
            continue;
        };
        let Some(lines) = &primary.lines else {
            out.not_compared += 1;
            continue;
        };
        let local_sums = sum_local(&sale.expected_lines);
        let metrc_sums = sum_metrc(lines);
        let labels: BTreeSet<&String> = local_sums.keys().chain(metrc_sums.keys()).collect();
        for label in labels {
            let (lq, la) = local_sums.get(label).copied().unwrap_or((0, 0));
            let (mq, ma) = metrc_sums.get(label).copied().unwrap_or((0, 0));
            for (kind, differs, local_value, metrc_value) in [
                (DifferenceKind::QuantityDiffers, lq != mq, qty(lq), qty(mq)),
                (
                    DifferenceKind::AmountDiffers,
                    la != ma,
                    money(la),
                    money(ma),
                ),
            ] {
                if differs {
                    let mut d = diff(kind, Some(sale), Some(primary.id));
                    d.label = Some(label.clone());
                    d.local_value = Some(local_value);
                    d.metrc_value = Some(metrc_value);
                    out.differences.push(d);
                }
            }
        }
    }
    for (number, found) in &by_number {
        if seen.contains(number) {
            continue;
        }
        // Ours, but made on another local day: only several active copies are a difference.
        let mut active: Vec<&&MetrcReceipt> = found.iter().filter(|r| r.active).collect();
        active.sort_by_key(|r| r.id);
        for r in active.iter().skip(1) {
            let mut d = diff(DifferenceKind::DuplicateExternalNumber, None, Some(r.id));
            d.client_id = Some((*number).to_owned());
            d.local_value = Some(format!("receipt {}", active[0].id));
            d.metrc_value = Some(format!("receipt {}", r.id));
            out.differences.push(d);
        }
    }
    out
}

impl DifferenceKind {
    /// The fix a manager is offered first.
    pub fn suggested_fix(self) -> FixCode {
        match self {
            DifferenceKind::MissingInMetrc => FixCode::ResendSale,
            DifferenceKind::DuplicateExternalNumber
            | DifferenceKind::VoidMissingInMetrc
            | DifferenceKind::WithdrawnButInMetrc => FixCode::VoidInMetrc,
            DifferenceKind::QuantityDiffers | DifferenceKind::AmountDiffers => {
                FixCode::ResendCorrection
            }
            DifferenceKind::UnknownExternalNumber | DifferenceKind::VoidedOnlyInMetrc => {
                FixCode::Acknowledge
            }
        }
    }

    /// The suggested fix in words.
    pub fn fix_text(self) -> &'static str {
        match self {
            DifferenceKind::MissingInMetrc => {
                "Metrc does not have this sale although it was confirmed: re-send it (a copy is queued under a new receipt number)."
            }
            DifferenceKind::UnknownExternalNumber => {
                "This receipt was not made on this register: check who made it (another register, the Metrc website); acknowledge it, or void it in Metrc if it is wrong."
            }
            DifferenceKind::DuplicateExternalNumber => {
                "Metrc holds this sale more than once: void the duplicate receipt in Metrc."
            }
            DifferenceKind::QuantityDiffers | DifferenceKind::AmountDiffers => {
                "Metrc's receipt differs from the sale recorded here: re-send the sale's lines as a correction (or acknowledge if Metrc is right)."
            }
            DifferenceKind::VoidMissingInMetrc => {
                "The sale was voided here but is still active in Metrc: void the receipt in Metrc."
            }
            DifferenceKind::VoidedOnlyInMetrc => {
                "The receipt was voided in Metrc but not here: check with the person who voided it, then acknowledge."
            }
            DifferenceKind::WithdrawnButInMetrc => {
                "The sale was withdrawn here but reached Metrc: void the receipt in Metrc."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateline_store::Money;
    use stateline_store::Quantity;

    fn sale(id: i64, number: &str, metrc_id: i64, qty: i64) -> LocalSale {
        LocalSale {
            sale_id: id,
            client_id: number.into(),
            entry_state: EntryState::Confirmed,
            metrc_id: Some(metrc_id),
            expected_lines: vec![NewSaleLine {
                label: "P1".into(),
                quantity: Quantity(qty),
                unit_of_measure: "Grams".into(),
                total_amount: Money(1250),
            }],
            change_in_flight: false,
            voided: false,
            resent: false,
        }
    }

    fn receipt(id: i64, number: Option<&str>, qty: i64) -> MetrcReceipt {
        MetrcReceipt {
            id,
            external: number.map(str::to_owned),
            active: true,
            lines: Some(vec![("P1".into(), qty, 1250)]),
        }
    }

    fn kinds(o: &Outcome) -> Vec<DifferenceKind> {
        o.differences.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn matching_day_has_no_differences() {
        let ours: HashSet<String> = ["A".to_owned()].into();
        let o = compare(
            &[sale(1, "A", 10, 1000)],
            &[receipt(10, Some("A"), 1000)],
            &ours,
        );
        assert!(o.differences.is_empty(), "{:?}", o.differences);
    }

    #[test]
    fn each_kind_is_found() {
        let ours: HashSet<String> = ["A", "B", "C"].map(str::to_owned).into();
        let o = compare(
            &[
                sale(1, "A", 10, 1000),
                sale(2, "B", 11, 1000),
                sale(3, "C", 12, 1000),
            ],
            &[
                receipt(10, Some("A"), 1000),
                receipt(13, Some("A"), 1000),
                receipt(11, Some("B"), 2000),
                receipt(14, Some("X"), 1000),
            ],
            &ours,
        );
        assert_eq!(
            kinds(&o),
            vec![
                DifferenceKind::UnknownExternalNumber,
                DifferenceKind::DuplicateExternalNumber,
                DifferenceKind::QuantityDiffers,
                DifferenceKind::MissingInMetrc,
            ]
        );
        assert_eq!(o.differences[1].metrc_receipt_id, Some(13));
        assert_eq!(o.differences[2].local_value.as_deref(), Some("1"));
        assert_eq!(o.differences[2].metrc_value.as_deref(), Some("2"));
    }

    #[test]
    fn voids_and_withdrawals_are_checked_both_ways() {
        let ours: HashSet<String> = ["A", "B", "C"].map(str::to_owned).into();
        let mut voided_here = sale(1, "A", 10, 1000);
        voided_here.voided = true;
        let voided_there = sale(2, "B", 11, 1000);
        let mut withdrawn = sale(3, "C", 12, 1000);
        withdrawn.entry_state = EntryState::Voided;
        let mut inactive = receipt(11, Some("B"), 1000);
        inactive.active = false;
        let o = compare(
            &[voided_here, voided_there, withdrawn],
            &[
                receipt(10, Some("A"), 1000),
                inactive,
                receipt(12, Some("C"), 1000),
            ],
            &ours,
        );
        assert_eq!(
            kinds(&o),
            vec![
                DifferenceKind::VoidMissingInMetrc,
                DifferenceKind::VoidedOnlyInMetrc,
                DifferenceKind::WithdrawnButInMetrc,
            ]
        );
        assert_eq!(
            o.differences.iter().map(|d| d.fix).collect::<Vec<_>>(),
            vec![
                FixCode::VoidInMetrc,
                FixCode::Acknowledge,
                FixCode::VoidInMetrc
            ]
        );
    }

    #[test]
    fn records_in_flight_are_not_compared() {
        let ours: HashSet<String> = ["A".to_owned()].into();
        let mut pending = sale(1, "A", 10, 1000);
        pending.entry_state = EntryState::Pending;
        let o = compare(&[pending], &[], &ours);
        assert!(o.differences.is_empty());
        assert_eq!(o.not_compared, 1);
    }
}
