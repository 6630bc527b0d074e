//! Packages with what is on hand, for the POS's shelf.
//!
//! Guarantees: on hand counts every record made here, reported or not (the same figure the Sell
//! screen shows); empty packages are left out unless asked for.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use stateline_tasks::StoreCall;
use utoipa::IntoParams;

use super::{ApiState, Caller};
use crate::PosError;
use crate::body::QueryParams;
use crate::dto::PackageView;
use crate::tokens::{self, Scope};

/// Which packages.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct PackageQuery {
    /// Only this licence (every licence of the register when left out).
    licence: Option<String>,
    /// Only packages whose tag or item name contains this (case-insensitive).
    query: Option<String>,
    /// Include packages with nothing on hand.
    #[serde(default)]
    include_empty: bool,
}

/// List packages with on hand.
#[utoipa::path(
    get, path = "/v1/packages", tag = "inventory",
    params(PackageQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "Packages, by item name then tag", body = [PackageView]),
        (status = 401, description = "No valid token", body = crate::ErrorBody),
        (status = 403, description = "The token lacks the `inventory` scope", body = crate::ErrorBody),
        (status = 422, description = "Unknown licence, or a query that is not understood", body = crate::ErrorBody),
    )
)]
pub(crate) async fn get_packages(
    State(api): State<ApiState>,
    caller: Caller,
    QueryParams(query): QueryParams<PackageQuery>,
) -> Result<Json<Vec<PackageView>>, PosError> {
    let integration = caller.require(Scope::Inventory, "read packages")?;
    let packages = api
        .ctx
        .db
        .call(move |db| -> Result<_, PosError> {
            db.read(|c| tokens::confirm_live(c, integration.id))?;
            let licences = match query.licence.as_deref().map(str::trim) {
                Some(l) if !l.is_empty() => vec![db.licence(l)?.number],
                _ => db.licences()?.into_iter().map(|l| l.number).collect(),
            };
            let needle = query.query.unwrap_or_default().trim().to_lowercase();
            let mut found = Vec::new();
            for licence in &licences {
                for p in db.packages(licence)? {
                    let matches = needle.is_empty()
                        || p.label.to_lowercase().contains(&needle)
                        || p.item_name.to_lowercase().contains(&needle);
                    if matches && (query.include_empty || p.on_hand.is_positive()) {
                        found.push(PackageView {
                            label: p.label,
                            item_name: p.item_name,
                            licence: p.licence,
                            on_hand: p.on_hand.to_string(),
                            unit_of_measure: p.unit_of_measure,
                        });
                    }
                }
            }
            found.sort_by(|a, b| {
                a.item_name
                    .cmp(&b.item_name)
                    .then_with(|| a.label.cmp(&b.label))
            });
            Ok(found)
        })
        .await?;
    Ok(Json(packages))
}
