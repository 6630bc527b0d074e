//! The limit check of one sale: what its lines count as, which rules apply to its customer, what
//! the patient bought earlier in each window and what Metrc's last reading allows — shared by
//! `record_sale` (inside the sale's transaction, where a limit exceeded refuses the sale) and the
//! Sell screen's running totals ([`Database::limit_preview`], which writes nothing).
//!
//! Guarantees: local data only, never the network; every applicable rule and every tracked
//! allotment category gets a total, so a screen can show them all; a rule counts earlier sales
//! only for an identified patient (adult-use customers are not identified: their day windows sum
//! this sale alone, and the evidence says so); an amount at a limit passes; a medical sale
//! without a reading follows the state's `without_data` rule — refuse, adult-use limits, or a
//! manager's approval.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use stateline_limits::{Amounts, Customer, RuleSet, Window, WithoutData};

use super::evidence::{
    ApprovalUsed, HistoryScope, LimitBasis, LimitEvidence, LimitTotal, ReadingUsed,
};
use super::overrides::{LimitOverride, RulesInForce, rules_in_force};
use super::{Approval, history, items, readings};
use crate::inventory::packages;
use crate::{Database, Quantity, StoreError};

/// One line of a cart, as the check sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// Package label.
    pub label: String,
    /// Quantity in the package's unit.
    pub quantity: Quantity,
}

/// What the check needs of a sale.
#[derive(Debug, Clone)]
pub struct SaleFacts<'a> {
    /// The licence.
    pub licence: &'a str,
    /// Metrc's customer type.
    pub customer_type: &'a str,
    /// The patient's licence number (trimmed), when given.
    pub patient: Option<&'a str>,
    /// When the sale happened.
    pub occurred_at: Timestamp,
    /// The lines.
    pub lines: &'a [CartLine],
    /// A manager's approval of a medical sale without Metrc's patient data.
    pub without_patient_data: Option<&'a Approval>,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Why the sale may (or may not) go ahead, as it would be kept.
    pub evidence: LimitEvidence,
    /// The limits exceeded, most exceeded first: (rule, what, by how much).
    pub over: Vec<(String, String)>,
}

/// The Sell screen's view of a cart: the totals, or why it cannot be sold as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitPreview {
    /// The check as it stands (absent when it could not be made, see `blocked`).
    pub assessment: Option<Assessment>,
    /// Why the cart cannot be sold whatever its size: (code, message).
    pub blocked: Option<(String, String)>,
}

/// The start of a window of `n` days ending at `at`; the start of time when the window reaches
/// past it (a rules file allows at most a year, but Metrc's `PurchaseAmountDays` is whatever
/// Metrc sent), never a panic.
fn window_start(at: Timestamp, n: u32) -> Timestamp {
    at.checked_sub(SignedDuration::from_hours(24 * i64::from(n)))
        .unwrap_or(Timestamp::MIN)
}

fn unit_of(rules: &RuleSet, category: &str) -> String {
    let unit = rules.category(category).map_or("", |c| c.unit.as_str());
    format!("{unit} of {category}")
}

fn override_lines(overrides: &[LimitOverride]) -> Vec<String> {
    overrides
        .iter()
        .map(|o| {
            format!(
                "{}: {} (set by {}: {})",
                o.rule_id, o.limit, o.set_by, o.reason
            )
        })
        .collect()
}

/// Checks a sale (see the module doc). Errors: `item_not_mapped`, `patient_not_eligible`,
/// `patient_reading_needed`, `manager_approval_needed`, `unknown_package`.
pub(crate) fn assess(
    c: &Connection,
    sale: &SaleFacts<'_>,
    now: Timestamp,
) -> Result<Assessment, StoreError> {
    let customer = Customer::of_metrc_type(sale.customer_type);
    let unchecked = |state: Option<String>, basis| Assessment {
        evidence: LimitEvidence {
            state,
            rules_version: None,
            customer: customer.as_str().into(),
            rules_applied: customer.as_str().into(),
            basis,
            scope: HistoryScope::Sale,
            counted: Amounts::new(),
            totals: Vec::new(),
            reading: None,
            overrides: Vec::new(),
            approvals: Vec::new(),
        },
        over: Vec::new(),
    };
    let (rules, overrides) = match rules_in_force(c)? {
        RulesInForce::NoState => return Ok(unchecked(None, LimitBasis::NoState)),
        RulesInForce::NoRules(state) => return Ok(unchecked(Some(state), LimitBasis::NoRules)),
        RulesInForce::Rules { rules, overrides } => (rules, overrides),
    };

    let mut counted = Amounts::new();
    for line in sale.lines {
        let package =
            packages::find(c, &line.label)?.ok_or_else(|| StoreError::UnknownPackage {
                label: line.label.clone(),
            })?;
        match items::per_unit(
            c,
            &rules,
            sale.licence,
            &package.item_name,
            &package.unit_of_measure,
        )? {
            Ok(per_unit) => {
                let units = line.quantity.milli() as f64 / 1000.0;
                for (category, amount) in per_unit {
                    *counted.entry(category).or_insert(0.0) += amount * units;
                }
            }
            Err(reason) => {
                return Err(StoreError::ItemNotMapped {
                    item: package.item_name,
                    detail: reason,
                });
            }
        }
    }

    let patient = sale.patient.filter(|p| !p.is_empty());
    let identified = customer != Customer::AdultUse && patient.is_some();
    let store_scope = history::scope(c)?;
    let scope = if identified {
        store_scope.clone()
    } else {
        HistoryScope::Sale
    };
    let mut basis = LimitBasis::Rules;
    let mut applied = rules.rules_applying_to(customer);
    let mut reading_used = None;
    let mut approvals = Vec::new();
    let mut totals = Vec::new();
    let mut over = Vec::new();

    if customer != Customer::AdultUse {
        let reading = match patient {
            Some(p) => readings::latest(c, sale.licence, p)?,
            None => None,
        };
        match reading {
            Some(reading) => {
                basis = LimitBasis::PatientReading;
                let patient = patient.unwrap_or_default();
                reading_used = Some(ReadingUsed {
                    id: reading.id,
                    read_at: reading.read_at,
                    age_seconds: now.duration_since(reading.read_at).as_secs(),
                });
                if reading.registrations.is_empty() {
                    return Err(StoreError::PatientNotEligible {
                        detail: format!(
                            "Metrc does not know patient {patient} at licence {} (read at {}); check the number on the card",
                            sale.licence, reading.read_at
                        ),
                    });
                }
                // The patient's licence runs to the end of its expiry date at the facility.
                let tz = crate::inventory::licences::require(c, sale.licence)?.tz()?;
                let today = sale.occurred_at.to_zoned(tz).date();
                let active: Vec<_> = reading
                    .registrations
                    .iter()
                    .filter(|r| r.active && r.licence_expires.is_none_or(|d| d >= today))
                    .collect();
                if active.is_empty() {
                    return Err(StoreError::PatientNotEligible {
                        detail: format!(
                            "Metrc says patient {patient}'s registration is not active or has expired (read at {}); the patient cannot buy as a patient",
                            reading.read_at
                        ),
                    });
                }
                for registration in active.into_iter().filter(|r| r.tracks_allotment) {
                    let window = registration
                        .purchase_amount_days
                        .filter(|d| d.is_finite() && *d >= 1.0)
                        .map_or(1, |d| d.ceil() as u32);
                    let since = history::bought(
                        c,
                        &store_scope,
                        patient,
                        window_start(sale.occurred_at, window),
                        sale.occurred_at.max(now),
                        Some(reading.read_at),
                    )?;
                    let name = registration
                        .registration_number
                        .as_deref()
                        .unwrap_or("registration");
                    for (category, available) in registration.available() {
                        let this_sale = counted.get(&category).copied().unwrap_or(0.0);
                        let total = this_sale + since.get(&category).copied().unwrap_or(0.0);
                        if available == 0.0 && total == 0.0 {
                            continue;
                        }
                        let exceeded =
                            this_sale > 0.0 && total - available > available.max(1.0) * 1e-6;
                        let rule = format!("metrc-allotment:{name}:{category}");
                        if exceeded {
                            over.push((
                                rule.clone(),
                                format!(
                                    "Metrc's reading allows patient {patient} {available:.2} {} more in {window} day(s); with the sales since the reading this makes {total:.2} ({:.2} over)",
                                    unit_of(&rules, &category),
                                    total - available
                                ),
                            ));
                        }
                        totals.push(LimitTotal {
                            rule,
                            window: Window::Days(window).as_text(),
                            limit: available,
                            total,
                            unit: unit_of(&rules, &category),
                            certain: true,
                            over: exceeded,
                        });
                    }
                }
            }
            None => match rules.without_data {
                WithoutData::Refuse => {
                    return Err(StoreError::PatientReadingNeeded {
                        detail: match patient {
                            Some(p) => format!(
                                "{} needs Metrc's reading of patient {p}'s allotment before a medical sale, and this register has none; look the patient up while Metrc can be reached",
                                rules.name
                            ),
                            None => format!(
                                "{} needs the patient's licence number and Metrc's reading of their allotment before a medical sale; enter the number and look the patient up",
                                rules.name
                            ),
                        },
                    });
                }
                WithoutData::AdultUseLimits => {
                    basis = LimitBasis::AdultUseWithoutReading;
                    applied = Customer::AdultUse;
                }
                WithoutData::ManagerOverride => match sale.without_patient_data {
                    Some(approval) => {
                        basis = LimitBasis::ManagerOverride;
                        approvals.push(ApprovalUsed {
                            kind: "without_patient_data".into(),
                            manager: approval.manager().into(),
                            reason: approval.reason().into(),
                        });
                    }
                    None => {
                        return Err(StoreError::ApprovalNeeded {
                            detail: format!(
                                "there is no reading of this patient's allotment from Metrc; in {} a medical sale without one needs a manager's approval",
                                rules.name
                            ),
                        });
                    }
                },
            },
        }
    }

    let applicable: Vec<_> = rules.rules_for(applied).collect();
    let mut earlier: BTreeMap<u32, Amounts> = BTreeMap::new();
    for rule in &applicable {
        if let (Window::Days(n), true, Some(p)) = (rule.window, identified, patient)
            && !earlier.contains_key(&n)
        {
            let bought = history::bought(
                c,
                &store_scope,
                p,
                window_start(sale.occurred_at, n),
                sale.occurred_at,
                None,
            )?;
            earlier.insert(n, bought);
        }
    }
    let mut rule_over = Vec::new();
    for rule in applicable {
        let this_sale = rule.weighted(&counted);
        let before = match rule.window {
            Window::Days(n) => earlier.get(&n).map_or(0.0, |a| rule.weighted(a)),
            Window::Transaction => 0.0,
        };
        let total = this_sale + before;
        let exceeded = this_sale > 0.0 && rule.exceeded_by(total);
        if exceeded {
            let described = stateline_limits::OverLimit {
                rule: rule.id.clone(),
                window: rule.window,
                limit: rule.limit,
                total,
                by: total - rule.limit,
                unit: rule.unit.clone(),
            };
            rule_over.push((
                (total - rule.limit) / rule.limit,
                rule.id.clone(),
                described.describe(),
            ));
        }
        totals.push(LimitTotal {
            rule: rule.id.clone(),
            window: rule.window.as_text(),
            limit: rule.limit,
            total,
            unit: rule.unit.clone(),
            certain: rule.certain,
            over: exceeded,
        });
    }
    rule_over.sort_by(|a, b| b.0.total_cmp(&a.0));
    over.extend(rule_over.into_iter().map(|(_, rule, text)| (rule, text)));

    Ok(Assessment {
        evidence: LimitEvidence {
            state: Some(rules.state.clone()),
            rules_version: Some(rules.version),
            customer: customer.as_str().into(),
            rules_applied: applied.as_str().into(),
            basis,
            scope,
            counted,
            totals,
            reading: reading_used,
            overrides: override_lines(&overrides),
            approvals,
        },
        over,
    })
}

/// Refuses an assessment that exceeds a limit, naming the most exceeded and listing the rest.
pub(crate) fn refuse_over(assessment: &Assessment) -> Result<(), StoreError> {
    let Some((rule, first)) = assessment.over.first() else {
        return Ok(());
    };
    let mut detail = first.clone();
    for (other, text) in assessment.over.iter().skip(1) {
        detail.push_str(&format!("; also {other}: {text}"));
    }
    Err(StoreError::OverLimit {
        rule: rule.clone(),
        detail,
    })
}

impl Database {
    /// The limit check of a cart as it stands, for the Sell screen's running totals (writes
    /// nothing, needs no network). A cart that cannot be sold whatever its size (an unmapped
    /// item, a patient Metrc refused, a reading or approval needed) is `blocked` with the code
    /// and message the sale itself would get.
    pub fn limit_preview(
        &self,
        licence: &str,
        customer_type: &str,
        patient: Option<&str>,
        lines: &[CartLine],
    ) -> Result<LimitPreview, StoreError> {
        let now = self.now();
        let patient = patient
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        self.read(|c| {
            let facts = SaleFacts {
                licence,
                customer_type,
                patient: patient.as_deref(),
                occurred_at: now,
                lines,
                without_patient_data: None,
            };
            match assess(c, &facts, now) {
                Ok(assessment) => Ok(LimitPreview {
                    assessment: Some(assessment),
                    blocked: None,
                }),
                Err(
                    e @ (StoreError::ItemNotMapped { .. }
                    | StoreError::PatientNotEligible { .. }
                    | StoreError::PatientReadingNeeded { .. }
                    | StoreError::ApprovalNeeded { .. }
                    | StoreError::UnknownPackage { .. }),
                ) => Ok(LimitPreview {
                    assessment: None,
                    blocked: Some((e.code().to_owned(), e.to_string())),
                }),
                Err(e) => Err(e),
            }
        })
    }
}
