//! A plain-text table of a [`KeyValidation`] for the command line.
//!
//! Guarantees: prints only what the result holds (so never a key, only its last four); one line
//! per area, in [`metrc::Area::ALL`] order, under a header per licence; ends with the verdict.

use std::fmt::Write;

use super::{KeyValidation, area_label};

/// Renders the matrix as aligned text: a header line, a block per licence, the verdict last.
pub fn render_table(v: &KeyValidation) -> String {
    let mut out = String::new();
    let key = if v.last_four.is_empty() {
        "key".to_owned()
    } else {
        format!("key …{}", v.last_four)
    };
    let _ = writeln!(out, "Metrc {key}, checked {}", v.checked_at);
    for l in &v.licences {
        let _ = writeln!(out);
        if l.name.is_empty() {
            let _ = writeln!(out, "{}", l.licence);
        } else {
            let _ = writeln!(out, "{}  {}", l.licence, l.name);
        }
        if let Some(d) = &l.detail {
            let _ = writeln!(out, "  {d}");
        }
        for a in &l.areas {
            let line = format!("  {:<16} {:<16}", area_label(a.area), a.outcome.label());
            match &a.detail {
                Some(d) => {
                    let _ = writeln!(out, "{line} {d}");
                }
                None => {
                    let _ = writeln!(out, "{}", line.trim_end());
                }
            }
        }
        if let Some(p) = &l.permissions {
            let _ = writeln!(out, "  Metrc permissions: {}", p.join(", "));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Verdict: {}", v.verdict.message());
    out
}
