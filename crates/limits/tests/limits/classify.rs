//! What a package's unit counts as, from Metrc's item facts, and items a state cannot count.

use stateline_limits::{Amounts, ItemFacts, RuleSet, Unmapped, per_unit};

fn facts<'a>(category: &'a str, unit: &'a str) -> ItemFacts<'a> {
    ItemFacts {
        category_type: Some(category),
        unit_of_measure: unit,
        unit_weight: None,
        unit_thc_content: None,
    }
}

fn amounts(pairs: &[(&str, f64)]) -> Amounts {
    pairs.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect()
}

#[test]
fn items_are_counted_by_weight_by_thc_or_by_the_piece() {
    assert_eq!(
        per_unit(&facts("Buds", "Grams")),
        Ok(amounts(&[("flower", 1.0)]))
    );
    assert_eq!(
        per_unit(&facts("Shake/Trim", "Ounces")),
        Ok(amounts(&[("flower", 28.0)]))
    );
    assert_eq!(
        per_unit(&facts("Concentrate", "Milligrams")),
        Ok(amounts(&[("concentrate", 0.001)]))
    );
    let pre_roll = ItemFacts {
        unit_weight: Some((0.5, "Grams")),
        ..facts("Buds", "Each")
    };
    assert_eq!(per_unit(&pre_roll), Ok(amounts(&[("flower", 0.5)])));
    let gummies = ItemFacts {
        unit_weight: Some((40.0, "Grams")),
        unit_thc_content: Some((100.0, "Milligrams")),
        ..facts("InfusedEdible", "Each")
    };
    assert_eq!(
        per_unit(&gummies),
        Ok(amounts(&[("edible_weight", 40.0), ("infused_thc", 100.0)]))
    );
    assert_eq!(
        per_unit(&facts("Seeds", "Each")),
        Ok(amounts(&[("seeds", 1.0)]))
    );
    assert_eq!(
        per_unit(&facts("Clone", "Each")),
        Ok(amounts(&[("immature_plants", 1.0)]))
    );
    assert_eq!(
        per_unit(&facts("Plants", "Each")),
        Ok(amounts(&[("plants", 1.0)]))
    );
}

#[test]
fn an_item_that_cannot_be_counted_says_what_is_missing() {
    assert_eq!(
        per_unit(&facts("Buds", "Each")),
        Err(Unmapped::NoUnitWeight)
    );
    assert_eq!(
        per_unit(&facts("InfusedEdible", "Each")),
        Err(Unmapped::NoUnitThc)
    );
    assert_eq!(
        per_unit(&facts("Merchandise", "Each")),
        Err(Unmapped::UnknownCategory("Merchandise".into()))
    );
    assert_eq!(
        per_unit(&facts("Buds", "Fluid Ounces")),
        Err(Unmapped::UnknownUnit("Fluid Ounces".into()))
    );
    let no_category = ItemFacts {
        category_type: None,
        ..facts("Buds", "Grams")
    };
    assert_eq!(per_unit(&no_category), Err(Unmapped::NoCategory));
    assert!(Unmapped::NoUnitThc.to_string().contains("THC"));
}

#[test]
fn a_state_that_counts_none_of_an_item_leaves_it_unmapped() {
    let by_weight_only = amounts(&[("edible_weight", 40.0)]);
    assert!(
        RuleSet::for_state("CO").unwrap().uncounted(&by_weight_only),
        "Colorado counts edibles by THC"
    );
    assert!(
        !RuleSet::for_state("OK").unwrap().uncounted(&by_weight_only),
        "Oklahoma counts edibles by weight"
    );
    assert!(
        !RuleSet::for_state("CO")
            .unwrap()
            .uncounted(&amounts(&[("flower", 1.0)]))
    );
}
