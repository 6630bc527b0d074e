//! The rules files: their format (see `crates/limits/README.md`), the embedded set, loading and
//! the checks every file passes before any rule of it is used.
//!
//! Guarantees: a [`RuleSet`] exists only for a file that passed [`RuleSet::parse`]'s checks —
//! the state matches its file, every category counted is declared and every declared one counted,
//! factors and limits are positive and finite, windows are `transaction` or `days:N` (1 ≤ N ≤ 366),
//! every rule has a source and an `effective` date, rule ids are unique; the embedded files are
//! parsed once, on first use, and shared.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

/// The embedded rules files, by state code.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("AK", include_str!("../rules/AK.toml")),
    ("CA", include_str!("../rules/CA.toml")),
    ("CO", include_str!("../rules/CO.toml")),
    ("MA", include_str!("../rules/MA.toml")),
    ("ME", include_str!("../rules/ME.toml")),
    ("MI", include_str!("../rules/MI.toml")),
    ("MO", include_str!("../rules/MO.toml")),
    ("MT", include_str!("../rules/MT.toml")),
    ("NV", include_str!("../rules/NV.toml")),
    ("NY", include_str!("../rules/NY.toml")),
    ("OH", include_str!("../rules/OH.toml")),
    ("OK", include_str!("../rules/OK.toml")),
    ("OR", include_str!("../rules/OR.toml")),
];

/// Why a rules file was refused, or a state has none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// The file is not valid TOML of the rules format.
    #[error("the {state} limits file cannot be read: {detail}")]
    Format {
        /// The file's state.
        state: String,
        /// The parser's words.
        detail: String,
    },
    /// A rule or category breaks the format's checks.
    #[error("the {state} limits file is wrong at {place}: {detail}")]
    Invalid {
        /// The file's state.
        state: String,
        /// The rule or category at fault.
        place: String,
        /// What is wrong.
        detail: String,
    },
    /// No rules file ships for this state.
    #[error(
        "Stateline has no purchase-limit rules for {0}; sales there are not checked against limits until an update adds them"
    )]
    UnknownState(String),
}

impl LimitsError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LimitsError::Format { .. } | LimitsError::Invalid { .. } => "limits_file_invalid",
            LimitsError::UnknownState(_) => "limits_unknown_state",
        }
    }
}

/// Who a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Customer {
    /// An adult-use (recreational) customer.
    AdultUse,
    /// A medical patient.
    Medical,
    /// A caregiver buying for a patient (medical rules apply when a file has no caregiver rules).
    Caregiver,
}

impl Customer {
    /// The name used in rules files and stored evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            Customer::AdultUse => "adult_use",
            Customer::Medical => "medical",
            Customer::Caregiver => "caregiver",
        }
    }

    /// The customer with that name.
    pub fn parse(text: &str) -> Option<Customer> {
        [Customer::AdultUse, Customer::Medical, Customer::Caregiver]
            .into_iter()
            .find(|c| c.as_str() == text)
    }

    /// Who a Metrc customer type is under the limits: `Patient`, `ExternalPatient` and any
    /// type naming a patient are medical, any naming a caregiver is a caregiver, the rest
    /// (`Consumer`, …) adult-use.
    pub fn of_metrc_type(customer_type: &str) -> Customer {
        let lower = customer_type.to_ascii_lowercase();
        if lower.contains("caregiver") {
            Customer::Caregiver
        } else if lower.contains("patient") {
            Customer::Medical
        } else {
            Customer::AdultUse
        }
    }
}

/// Over what a rule sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Window {
    /// One sale.
    Transaction,
    /// The sale and the customer's sales of the last `n` days (rolling).
    Days(u32),
}

impl Window {
    /// The form rules files use: `transaction` or `days:N`.
    pub fn as_text(self) -> String {
        match self {
            Window::Transaction => "transaction".into(),
            Window::Days(n) => format!("days:{n}"),
        }
    }

    /// Parses [`Window::as_text`]'s form; `days:N` takes 1 to [`Window::MAX_DAYS`].
    pub fn parse(text: &str) -> Option<Window> {
        if text == "transaction" {
            return Some(Window::Transaction);
        }
        let days: u32 = text.strip_prefix("days:")?.parse().ok()?;
        (1..=Window::MAX_DAYS)
            .contains(&days)
            .then_some(Window::Days(days))
    }

    /// The longest rolling window a file may give (a year): a sale looks this far back into the
    /// customer's purchases, so the bound keeps that time arithmetic far from the ends of time.
    pub const MAX_DAYS: u32 = 366;
}

/// A kind of product a sale's line is counted as.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Category {
    /// `flower`, `concentrate`, `infused_thc`, …
    pub id: String,
    /// What it covers, in words.
    pub name: String,
    /// The unit a line's amount is counted in (`g`, `mg`, `each`).
    pub unit: String,
}

/// One limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique in its file.
    pub id: String,
    /// Who it applies to.
    pub customer: Customer,
    /// Over what it sums.
    pub window: Window,
    /// The most the weighted sum may reach.
    pub limit: f64,
    /// What the limit counts, in words ("g of flower").
    pub unit: String,
    /// Weight of each category in the sum (equivalences).
    pub counts: BTreeMap<String, f64>,
    /// The statute or regulation, in words.
    pub source: String,
    /// When the figure took effect.
    pub effective: jiff::civil::Date,
    /// False when the file could not confirm the figure (it then takes the stricter reading).
    pub certain: bool,
}

/// What a medical sale does without a patient reading from Metrc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithoutData {
    /// Refuse the sale.
    Refuse,
    /// Sell within the adult-use rules.
    AdultUseLimits,
    /// Only with a manager's audited override.
    ManagerOverride,
}

impl WithoutData {
    /// The name used in rules files.
    pub fn as_str(self) -> &'static str {
        match self {
            WithoutData::Refuse => "refuse",
            WithoutData::AdultUseLimits => "adult_use_limits",
            WithoutData::ManagerOverride => "manager_override",
        }
    }
}

/// One state's rules, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    /// Two-letter state code.
    pub state: String,
    /// The state's name.
    pub name: String,
    /// Bumped whenever a figure changes.
    pub version: u32,
    /// When the figures were last checked against their sources.
    pub reviewed: jiff::civil::Date,
    /// The categories, in file order.
    pub categories: Vec<Category>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// What a medical sale does without a reading.
    pub without_data: WithoutData,
    /// Why.
    pub without_data_source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    id: String,
    customer: Customer,
    window: String,
    limit: f64,
    unit: String,
    counts: BTreeMap<String, f64>,
    source: String,
    effective: String,
    certain: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWithoutData {
    medical: WithoutData,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    state: String,
    name: String,
    version: u32,
    reviewed: String,
    categories: Vec<Category>,
    rules: Vec<FileRule>,
    without_data: FileWithoutData,
}

impl RuleSet {
    /// Parses and checks the rules file of `state` (see the module doc).
    pub fn parse(state: &str, text: &str) -> Result<RuleSet, LimitsError> {
        let file: File = toml::from_str(text).map_err(|e| LimitsError::Format {
            state: state.to_owned(),
            detail: e.to_string(),
        })?;
        let invalid = |place: &str, detail: String| LimitsError::Invalid {
            state: state.to_owned(),
            place: place.to_owned(),
            detail,
        };
        if file.state != state {
            return Err(invalid(
                "state",
                format!("the file says {:?}, its name says {state:?}", file.state),
            ));
        }
        let date = |place: &str, text: &str| {
            text.parse::<jiff::civil::Date>()
                .map_err(|e| invalid(place, format!("{text:?} is not a YYYY-MM-DD date: {e}")))
        };
        let reviewed = date("reviewed", &file.reviewed)?;
        let mut declared = BTreeSet::new();
        for category in &file.categories {
            if !declared.insert(category.id.as_str()) {
                return Err(invalid(&category.id, "declared twice".into()));
            }
            if !matches!(category.unit.as_str(), "g" | "mg" | "each") {
                return Err(invalid(
                    &category.id,
                    format!("unit {:?} is not g, mg or each", category.unit),
                ));
            }
        }
        let mut ids = BTreeSet::new();
        let mut counted = BTreeSet::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for rule in file.rules {
            let place = format!("rule {}", rule.id);
            if !ids.insert(rule.id.clone()) {
                return Err(invalid(&place, "the id is used twice".into()));
            }
            let window = Window::parse(&rule.window).ok_or_else(|| {
                invalid(
                    &place,
                    format!(
                        "window {:?} is not `transaction` or `days:N` (N from 1 to {})",
                        rule.window,
                        Window::MAX_DAYS
                    ),
                )
            })?;
            if !(rule.limit.is_finite() && rule.limit > 0.0) {
                return Err(invalid(
                    &place,
                    format!("limit {} is not positive", rule.limit),
                ));
            }
            if rule.counts.is_empty() {
                return Err(invalid(&place, "counts no category".into()));
            }
            for (category, factor) in &rule.counts {
                if !declared.contains(category.as_str()) {
                    return Err(invalid(
                        &place,
                        format!("counts {category:?}, which is not declared"),
                    ));
                }
                if !(factor.is_finite() && *factor > 0.0) {
                    return Err(invalid(
                        &place,
                        format!("{category} counts {factor}, not a positive factor"),
                    ));
                }
                counted.insert(category.clone());
            }
            if rule.source.trim().is_empty() {
                return Err(invalid(&place, "has no source".into()));
            }
            rules.push(Rule {
                effective: date(&place, &rule.effective)?,
                id: rule.id,
                customer: rule.customer,
                window,
                limit: rule.limit,
                unit: rule.unit,
                counts: rule.counts,
                source: rule.source,
                certain: rule.certain,
            });
        }
        if let Some(unused) = declared.iter().find(|c| !counted.contains(**c)) {
            return Err(invalid(unused, "declared but counted by no rule".into()));
        }
        if file.without_data.medical == WithoutData::AdultUseLimits
            && !rules.iter().any(|r| r.customer == Customer::AdultUse)
        {
            return Err(invalid(
                "without_data",
                "falls back on adult-use limits, but the state has none".into(),
            ));
        }
        Ok(RuleSet {
            state: file.state,
            name: file.name,
            version: file.version,
            reviewed,
            categories: file.categories,
            rules,
            without_data: file.without_data.medical,
            without_data_source: file.without_data.source,
        })
    }

    /// The embedded rules of `state` (two letters, any case).
    pub fn for_state(state: &str) -> Result<&'static RuleSet, LimitsError> {
        let wanted = state.to_ascii_uppercase();
        all()
            .iter()
            .find(|(code, _)| *code == wanted)
            .map(|(_, rules)| rules.as_ref().map_err(Clone::clone))
            .unwrap_or(Err(LimitsError::UnknownState(wanted)))
    }

    /// The rules that apply to `customer`: caregivers fall back on medical rules when the file
    /// has none of their own, and medical customers (and so caregivers) on adult-use rules when
    /// it has no medical ones either; in a medical-only state (Oklahoma) an adult-use customer
    /// gets the medical rules — never no rules at all.
    pub fn rules_for(&self, customer: Customer) -> impl Iterator<Item = &Rule> {
        let applies = self.rules_applying_to(customer);
        self.rules.iter().filter(move |r| r.customer == applies)
    }

    /// Whose rules apply to `customer` (see [`RuleSet::rules_for`]).
    pub fn rules_applying_to(&self, customer: Customer) -> Customer {
        let has = |c: Customer| self.rules.iter().any(|r| r.customer == c);
        let mut applies = customer;
        if applies == Customer::Caregiver && !has(applies) {
            applies = Customer::Medical;
        }
        if applies == Customer::Medical && !has(applies) {
            applies = Customer::AdultUse;
        }
        if applies == Customer::AdultUse && !has(applies) {
            applies = Customer::Medical;
        }
        applies
    }

    /// A copy with some rules' limits replaced (a store's overrides, by rule id); an id the
    /// file does not have is refused, as is a limit that is not positive and finite.
    pub fn with_limits(&self, overrides: &[(String, f64)]) -> Result<RuleSet, LimitsError> {
        let mut changed = self.clone();
        for (id, limit) in overrides {
            let invalid = |detail: String| LimitsError::Invalid {
                state: self.state.clone(),
                place: format!("override of rule {id}"),
                detail,
            };
            if !(limit.is_finite() && *limit > 0.0) {
                return Err(invalid(format!(
                    "the limit {limit} is not a positive number"
                )));
            }
            let rule = changed
                .rules
                .iter_mut()
                .find(|r| &r.id == id)
                .ok_or_else(|| invalid("the file has no such rule".into()))?;
            rule.limit = *limit;
        }
        Ok(changed)
    }

    /// A category by id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }
}

type Loaded = Vec<(&'static str, Result<RuleSet, LimitsError>)>;

/// Every embedded file, parsed once.
pub fn all() -> &'static Loaded {
    static ALL: OnceLock<Loaded> = OnceLock::new();
    ALL.get_or_init(|| {
        EMBEDDED
            .iter()
            .map(|(state, text)| (*state, RuleSet::parse(state, text)))
            .collect()
    })
}
