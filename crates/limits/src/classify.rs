//! What one unit of a package counts as under the limits, from Metrc's item data: its product
//! category type (`Buds`, `ShakeTrim`, `Concentrate`, `InfusedEdible`, …), the unit the package
//! is sold in, and the item's unit weight and unit THC content.
//!
//! Guarantees: weights are converted to grams and THC to milligrams by exact factors (an ounce is
//! 28 g, Metrc's convention); an item is never guessed at — a category type this module does not
//! know, or a product sold by the piece whose weight or THC Metrc does not give, is
//! [`Unmapped`] with what is missing, so it cannot be sold under a limit until a manager maps
//! it; [`RuleSet::uncounted`] says when a state's rules count none of what an item is (an
//! edible known only by weight in a state that counts THC).

use crate::check::Amounts;
use crate::rules::RuleSet;

/// Metrc's facts about an item, as the package is sold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemFacts<'a> {
    /// The item's `ProductCategoryType`.
    pub category_type: Option<&'a str>,
    /// The unit the package is counted in (`Grams`, `Each`, `Ounces`, …).
    pub unit_of_measure: &'a str,
    /// The item's `UnitWeight` and its unit, for items counted by the piece.
    pub unit_weight: Option<(f64, &'a str)>,
    /// The item's `UnitThcContent` and its unit, for infused items counted by the piece.
    pub unit_thc_content: Option<(f64, &'a str)>,
}

/// Why an item cannot be counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmapped {
    /// Metrc gives no category type.
    #[error("Metrc gives the item no product category type")]
    NoCategory,
    /// A category type this build does not know.
    #[error("the product category type {0:?} is not one the limits know")]
    UnknownCategory(String),
    /// A unit this build cannot convert.
    #[error("the unit {0:?} cannot be converted for the limits")]
    UnknownUnit(String),
    /// Sold by the piece, but Metrc gives no unit weight.
    #[error("it is sold by the piece and Metrc gives no unit weight for the item")]
    NoUnitWeight,
    /// Sold by the piece, but Metrc gives no unit THC content.
    #[error("it is sold by the piece and Metrc gives no unit THC content for the item")]
    NoUnitThc,
}

/// Grams in one of `unit`, for weight units.
fn grams_per(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "grams" | "gram" | "g" => 1.0,
        "milligrams" | "milligram" | "mg" => 0.001,
        "kilograms" | "kilogram" | "kg" => 1000.0,
        "ounces" | "ounce" | "oz" => 28.0,
        "pounds" | "pound" | "lb" => 448.0,
        _ => return None,
    })
}

fn by_the_piece(unit: &str) -> bool {
    unit.eq_ignore_ascii_case("each")
}

/// What a product kind is counted as by weight: grams per unit of the package.
fn weight_per_unit(item: &ItemFacts<'_>) -> Result<f64, Unmapped> {
    if let Some(g) = grams_per(item.unit_of_measure) {
        return Ok(g);
    }
    if !by_the_piece(item.unit_of_measure) {
        return Err(Unmapped::UnknownUnit(item.unit_of_measure.to_owned()));
    }
    let (weight, unit) = item.unit_weight.ok_or(Unmapped::NoUnitWeight)?;
    let g = grams_per(unit).ok_or_else(|| Unmapped::UnknownUnit(unit.to_owned()))?;
    Ok(weight * g)
}

/// The limit categories and amounts one unit of the package counts as.
pub fn per_unit(item: &ItemFacts<'_>) -> Result<Amounts, Unmapped> {
    let kind = item.category_type.ok_or(Unmapped::NoCategory)?;
    let key: String = kind
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let one = |category: &str, amount: f64| -> Amounts {
        [(category.to_owned(), amount)].into_iter().collect()
    };
    let counted = |category: &str| -> Result<Amounts, Unmapped> {
        if by_the_piece(item.unit_of_measure) {
            Ok(one(category, 1.0))
        } else {
            Err(Unmapped::UnknownUnit(item.unit_of_measure.to_owned()))
        }
    };
    match key.as_str() {
        "buds" | "shaketrim" | "flower" | "prerolls" | "preroll" => {
            Ok(one("flower", weight_per_unit(item)?))
        }
        "concentrate" | "extract" | "vapecartridge" => {
            Ok(one("concentrate", weight_per_unit(item)?))
        }
        "infusededible" | "infusednonedible" | "infused" | "edible" => {
            let mut amounts = Amounts::new();
            if let Ok(weight) = weight_per_unit(item) {
                amounts.insert("edible_weight".into(), weight);
            }
            if by_the_piece(item.unit_of_measure)
                && let Some((thc, unit)) = item.unit_thc_content
            {
                let mg =
                    grams_per(unit).ok_or_else(|| Unmapped::UnknownUnit(unit.to_owned()))? * 1000.0;
                amounts.insert("infused_thc".into(), thc * mg);
            }
            if amounts.is_empty() {
                return Err(if by_the_piece(item.unit_of_measure) {
                    Unmapped::NoUnitThc
                } else {
                    Unmapped::UnknownUnit(item.unit_of_measure.to_owned())
                });
            }
            Ok(amounts)
        }
        "seeds" => counted("seeds"),
        "clone" | "clones" | "immatureplants" | "immatureplant" | "seedlings" => {
            counted("immature_plants")
        }
        "plants" | "plant" | "matureplants" => counted("plants"),
        _ => Err(Unmapped::UnknownCategory(kind.to_owned())),
    }
}

impl RuleSet {
    /// Whether this state's rules count none of `amounts` (one unit of an item, from
    /// [`per_unit`]): such an item cannot be sold under a limit until a manager maps it.
    pub fn uncounted(&self, amounts: &Amounts) -> bool {
        !self.rules.iter().any(|rule| {
            amounts
                .keys()
                .any(|category| rule.counts.contains_key(category))
        })
    }
}
