//! Purchase limits at the register (issue #14): the Sell screen's running totals, a patient's
//! allotment looked up in Metrc and kept, the items the limits cannot count and their mapping by
//! a manager, and the rules in force with the store's overrides.
//!
//! Guarantees: the running totals and every check come from the store (`stateline-store`'s
//! `limits`), the same code `record_sale` runs, so the screen and the sale never disagree; only
//! `look_up_patient` talks to Metrc, and when Metrc cannot be reached (or was asked less than a
//! minute ago — Metrc caches the answer that long — or the user has no key to ask with) it
//! answers with the last reading kept here,
//! saying so; a manager's approval typed at the register is checked with the manager's PIN and
//! never echoed.

use stateline_limits::Customer;
use stateline_store::limits::overrides::RulesInForce;
use stateline_store::limits::{Approval, Assessment, CartLine, PatientReading, Registration};
use stateline_store::people::users::Permission;
use stateline_store::{Pin, Quantity, StoreError};

use super::dto::{
    self, ApprovalRequest, CategoryAmount, ClearLimitOverrideRequest, HistoryScopeKind,
    ItemMapView, LicenceRequest, LimitBlockView, LimitCategoryView, LimitCheckView, LimitItemsView,
    LimitOverrideRequest, LimitOverrideView, LimitPreviewRequest, LimitRuleView, LimitRulesView,
    LimitTotalView, MapItemRequest, OverLimitView, PatientLookupRequest, PatientReadingView,
    RegistrationView, UnmappedItemView,
};
use super::{App, AppEvent};
use crate::ApiError;

/// How long Metrc serves a patient status from its cache: a lookup within this of the last one
/// uses the reading kept here.
const METRC_PATIENT_CACHE_SECS: i64 = 60;

/// A check as the Sell screen and reports show it.
pub(crate) fn check_view(assessment: &Assessment, checked_at: jiff::Timestamp) -> LimitCheckView {
    use stateline_store::limits::HistoryScope as S;
    let e = &assessment.evidence;
    LimitCheckView {
        state: e.state.clone(),
        rules_version: e.rules_version,
        customer: e.customer.clone(),
        rules_applied: e.rules_applied.clone(),
        basis: Some(e.basis.into()),
        scope: Some(match e.scope {
            S::Sale => HistoryScopeKind::Sale,
            S::Register => HistoryScopeKind::Register,
            S::Store { .. } => HistoryScopeKind::Store,
        }),
        scope_text: Some(e.scope.describe(checked_at)),
        totals: e
            .totals
            .iter()
            .map(|t| LimitTotalView {
                rule: t.rule.clone(),
                window: t.window.clone(),
                limit: t.limit,
                total: t.total,
                unit: t.unit.clone(),
                certain: t.certain,
                over: t.over,
            })
            .collect(),
        over: assessment
            .over
            .iter()
            .map(|(rule, message)| OverLimitView {
                rule: rule.clone(),
                message: message.clone(),
            })
            .collect(),
        reading_read_at: e.reading.as_ref().map(|r| r.read_at),
        blocked: None,
    }
}

fn registration_view(r: &Registration) -> RegistrationView {
    let available = r.available();
    let get = |k: &str| available.get(k).copied().unwrap_or(0.0);
    RegistrationView {
        registration_number: r.registration_number.clone(),
        active: r.active,
        tracks_allotment: r.tracks_allotment,
        flower_g_available: get("flower"),
        concentrate_g_available: get("concentrate"),
        infused_g_available: get("edible_weight"),
        thc_mg_available: get("infused_thc"),
        purchase_amount_days: r.purchase_amount_days,
        licence_expires: r.licence_expires.map(|d| d.to_string()),
    }
}

fn reading_view(
    licence: &str,
    patient: &str,
    reading: Option<&PatientReading>,
    fresh: bool,
    note: Option<String>,
) -> PatientReadingView {
    PatientReadingView {
        licence: licence.to_owned(),
        patient_number: patient.to_owned(),
        known: reading.is_some(),
        fresh,
        read_at: reading.map(|r| r.read_at),
        read_by: reading.map(|r| r.read_by.clone()),
        note,
        unknown_to_metrc: reading.is_some_and(|r| r.registrations.is_empty()),
        registrations: reading
            .map(|r| r.registrations.iter().map(registration_view).collect())
            .unwrap_or_default(),
    }
}

/// Metrc's patient status as the store keeps it.
fn registration_of(status: &metrc::models::patients::PatientStatus) -> Registration {
    let f = |v: Option<f64>| v.filter(|x| x.is_finite()).unwrap_or(0.0);
    let figures = [
        status.flower_ounces_allowed,
        status.thc_ounces_allowed,
        status.concentrate_ounces_allowed,
        status.infused_ounces_allowed,
        status.flower_ounces_available,
        status.thc_ounces_available,
        status.concentrate_ounces_available,
        status.infused_ounces_available,
    ];
    Registration {
        registration_number: status.registration_number.clone(),
        active: status.active,
        flower_ounces_available: f(status.flower_ounces_available),
        thc_ounces_available: f(status.thc_ounces_available),
        concentrate_ounces_available: f(status.concentrate_ounces_available),
        infused_ounces_available: f(status.infused_ounces_available),
        tracks_allotment: figures.iter().any(|v| f(*v) != 0.0),
        purchase_amount_days: status.purchase_amount_days,
        licence_expires: status
            .patient_license_expiration_date
            .as_deref()
            .and_then(|d| d.get(..10))
            .and_then(|d| d.parse().ok()),
    }
}

fn decimal(field: &'static str, text: &str) -> Result<f64, ApiError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| {
            StoreError::InvalidInput {
                field,
                detail: format!("{text:?} is not a positive number; enter one like 3.5"),
            }
            .into()
        })
}

impl App {
    /// Checks a manager's name and PIN typed at the register and makes the approval.
    pub(crate) async fn approval(&self, req: ApprovalRequest) -> Result<Approval, ApiError> {
        let pin = Pin::new(req.pin.expose());
        let manager = req.manager;
        let reason = req.reason;
        self.db(move |db| -> Result<_, ApiError> {
            let session = db.verify_pin(&manager, &pin)?;
            Ok(Approval::new(session.actor, &reason)?)
        })
        .await
    }

    /// `limit_preview`: the running totals of a cart (writes nothing, never waits on Metrc).
    pub async fn limit_preview(
        &self,
        req: LimitPreviewRequest,
    ) -> Result<LimitCheckView, ApiError> {
        self.require(Permission::Sell)?;
        let checked_at = self.now();
        self.db(move |db| -> Result<_, ApiError> {
            let lines = req
                .lines
                .iter()
                .filter(|l| !l.label.trim().is_empty())
                .map(|l| CartLine {
                    label: l.label.trim().to_owned(),
                    quantity: Quantity::parse(&l.quantity).unwrap_or(Quantity::ZERO),
                })
                .collect::<Vec<_>>();
            let licence = match (req.licence.filter(|l| !l.trim().is_empty()), lines.first()) {
                (Some(l), _) => l,
                (None, Some(first)) => db.package(&first.label)?.licence,
                (None, None) => match db.licences()?.into_iter().next() {
                    Some(l) => l.number,
                    None => return Err(StoreError::UnknownLicence(String::new()).into()),
                },
            };
            let preview = db.limit_preview(
                &licence,
                req.customer_type.trim(),
                req.patient_number.as_deref(),
                &lines,
            )?;
            Ok(match (preview.assessment, preview.blocked) {
                (Some(assessment), _) => check_view(&assessment, checked_at),
                (None, blocked) => LimitCheckView {
                    state: None,
                    rules_version: None,
                    customer: Customer::of_metrc_type(&req.customer_type).as_str().into(),
                    rules_applied: String::new(),
                    basis: None,
                    scope: None,
                    scope_text: None,
                    totals: Vec::new(),
                    over: Vec::new(),
                    reading_read_at: None,
                    blocked: blocked.map(|(code, message)| LimitBlockView { code, message }),
                },
            })
        })
        .await
    }

    /// `look_up_patient`: reads the patient's allotment from Metrc and keeps it; with Metrc out
    /// of reach, or asked under a minute ago, answers with the last reading kept here.
    pub async fn look_up_patient(
        &self,
        req: PatientLookupRequest,
    ) -> Result<PatientReadingView, ApiError> {
        let actor = self.require(Permission::Sell)?;
        self.look_up_patient_for(&actor, req).await
    }

    /// [`App::look_up_patient`] for `actor` (the logged-in user, or the budtender a POS named),
    /// with `actor`'s key.
    pub(crate) async fn look_up_patient_for(
        &self,
        actor: &stateline_store::Actor,
        req: PatientLookupRequest,
    ) -> Result<PatientReadingView, ApiError> {
        let licence = self.licence_or_first(req.licence).await?;
        let patient = stateline_store::limits::readings::licence_number_shape(
            "patient number",
            &req.patient_number,
        )?;
        let (l2, p2) = (licence.clone(), patient.clone());
        let last = self
            .db(move |db| db.latest_patient_reading(&l2, &p2))
            .await?;
        let now = self.now();
        if let Some(last) = &last {
            let age = now.duration_since(last.read_at).as_secs();
            if (0..METRC_PATIENT_CACHE_SECS).contains(&age) {
                return Ok(reading_view(
                    &licence,
                    &patient,
                    Some(last),
                    false,
                    Some(format!(
                        "read {age} s ago; Metrc answers from its cache for a minute, so sales since are counted here"
                    )),
                ));
            }
        }
        let fetched = match (self.reading_key(actor), self.link()) {
            (Ok(key), Ok(link)) => link
                .client
                .patient_statuses(&key, &licence, &patient)
                .await
                .map_err(ApiError::from),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        match fetched {
            Ok(statuses) => {
                let registrations: Vec<Registration> =
                    statuses.iter().map(registration_of).collect();
                let (l2, p2, by) = (licence.clone(), patient.clone(), actor.name().to_owned());
                let reading = self
                    .db(move |db| db.save_patient_reading(&l2, &p2, &by, &registrations))
                    .await?;
                Ok(reading_view(&licence, &patient, Some(&reading), true, None))
            }
            Err(error) if is_unreachable(&error) || error.code() == "no_key" => Ok(reading_view(
                &licence,
                &patient,
                last.as_ref(),
                false,
                Some(format!(
                    "Metrc could not be asked ({error}); {}",
                    if last.is_some() {
                        "the last reading kept here is used, minus every sale since"
                    } else {
                        "there is no earlier reading, so the state's rule for sales without one applies"
                    }
                )),
            )),
            Err(error) => Err(error),
        }
    }

    /// `limit_items`: the limits' categories, the items that cannot be counted and the mappings.
    pub async fn limit_items(&self, req: LicenceRequest) -> Result<LimitItemsView, ApiError> {
        self.current_actor()?;
        let licence = self.licence_or_first(req.licence).await?;
        self.db(move |db| items_view(db, &licence)).await
    }

    /// `map_item` (manager): what one unit of an item counts as; returns the updated view.
    pub async fn map_item(&self, req: MapItemRequest) -> Result<LimitItemsView, ApiError> {
        let actor = self.require(Permission::ManageLimits)?;
        let licence = self.licence_or_first(req.licence).await?;
        let mut amounts = stateline_limits::Amounts::new();
        for a in &req.amounts {
            amounts.insert(a.category.trim().to_owned(), decimal("amount", &a.amount)?);
        }
        let l2 = licence.clone();
        let view = self
            .db(move |db| -> Result<_, ApiError> {
                db.map_item(&actor, &l2, req.item_name.trim(), &amounts, &req.reason)?;
                items_view(db, &l2)
            })
            .await?;
        self.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
            licence: Some(licence),
        }));
        self.audited("item_mapped");
        Ok(view)
    }

    /// `limit_rules`: the rules in force, each with its source and any store override.
    pub async fn limit_rules(&self) -> Result<LimitRulesView, ApiError> {
        self.current_actor()?;
        self.db(rules_view).await
    }

    /// `set_limit_override` (manager).
    pub async fn set_limit_override(
        &self,
        req: LimitOverrideRequest,
    ) -> Result<LimitRulesView, ApiError> {
        let actor = self.require(Permission::ManageLimits)?;
        let limit = decimal("limit", &req.limit)?;
        let view = self
            .db(move |db| -> Result<_, ApiError> {
                db.set_limit_override(&actor, req.rule_id.trim(), limit, &req.reason)?;
                rules_view(db)
            })
            .await?;
        self.audited("limit_overridden");
        Ok(view)
    }

    /// `clear_limit_override` (manager).
    pub async fn clear_limit_override(
        &self,
        req: ClearLimitOverrideRequest,
    ) -> Result<LimitRulesView, ApiError> {
        let actor = self.require(Permission::ManageLimits)?;
        let view = self
            .db(move |db| -> Result<_, ApiError> {
                db.clear_limit_override(&actor, req.rule_id.trim(), &req.reason)?;
                rules_view(db)
            })
            .await?;
        self.audited("limit_overridden");
        Ok(view)
    }
}

/// Whether a Metrc call failed for want of Metrc (network, timeout, rate limit, server trouble),
/// not for something a person must fix.
fn is_unreachable(error: &ApiError) -> bool {
    match error {
        ApiError::Metrc(e) => matches!(
            e.class(),
            metrc::ErrorClass::NotSent
                | metrc::ErrorClass::Ambiguous
                | metrc::ErrorClass::RateLimited
        ),
        _ => false,
    }
}

fn items_view(db: &stateline_store::Database, licence: &str) -> Result<LimitItemsView, ApiError> {
    let (rules_in_force, categories) = match db.rules_in_force()? {
        RulesInForce::Rules { rules, .. } => (
            true,
            rules
                .categories
                .iter()
                .map(|c| LimitCategoryView {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    unit: c.unit.clone(),
                })
                .collect(),
        ),
        _ => (false, Vec::new()),
    };
    Ok(LimitItemsView {
        licence: licence.to_owned(),
        rules_in_force,
        categories,
        unmapped: db
            .unmapped_items(licence)?
            .into_iter()
            .map(|u| UnmappedItemView {
                item_name: u.item_name,
                unit_of_measure: u.unit_of_measure,
                category_type: u.category_type,
                reason: u.reason,
                packages: u.packages.max(0) as u32,
            })
            .collect(),
        mapped: db
            .item_maps(licence)?
            .into_iter()
            .map(|m| ItemMapView {
                item_name: m.item_name,
                amounts: m
                    .amounts
                    .into_iter()
                    .map(|(category, amount)| CategoryAmount { category, amount })
                    .collect(),
                reason: m.reason,
                mapped_by: m.mapped_by,
                mapped_at: m.mapped_at,
            })
            .collect(),
    })
}

fn rules_view(db: &stateline_store::Database) -> Result<LimitRulesView, ApiError> {
    Ok(match db.rules_in_force()? {
        RulesInForce::NoState => LimitRulesView::default(),
        RulesInForce::NoRules(state) => LimitRulesView {
            state: Some(state),
            ..LimitRulesView::default()
        },
        RulesInForce::Rules { rules, overrides } => {
            let file = stateline_limits::RuleSet::for_state(&rules.state)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            LimitRulesView {
                state: Some(rules.state.clone()),
                name: Some(rules.name.clone()),
                version: Some(rules.version),
                reviewed: Some(rules.reviewed.to_string()),
                rules: rules
                    .rules
                    .iter()
                    .map(|r| LimitRuleView {
                        id: r.id.clone(),
                        customer: r.customer.as_str().into(),
                        window: r.window.as_text(),
                        limit: r.limit,
                        file_limit: file
                            .rules
                            .iter()
                            .find(|f| f.id == r.id)
                            .map_or(r.limit, |f| f.limit),
                        unit: r.unit.clone(),
                        source: r.source.clone(),
                        effective: r.effective.to_string(),
                        certain: r.certain,
                        store_override: overrides.iter().find(|o| o.rule_id == r.id).map(|o| {
                            LimitOverrideView {
                                limit: o.limit,
                                file_version: o.file_version,
                                reason: o.reason.clone(),
                                set_by: o.set_by.clone(),
                                set_at: o.set_at,
                            }
                        }),
                    })
                    .collect(),
                without_data: Some(rules.without_data.as_str().into()),
                without_data_source: Some(rules.without_data_source.clone()),
            }
        }
    })
}
