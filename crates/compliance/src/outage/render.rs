//! The outage report as CSV (RFC 4180) and as a printable, standalone HTML page.
//!
//! Guarantees: CSV lines end with CRLF and every field containing a comma, a double quote, CR or LF
//! is enclosed in double quotes with inner quotes doubled, so names such as `O'Neil, "Bo"` survive
//! a round trip; the HTML page has no external assets (inline CSS, no scripts, no links) and every
//! value is escaped; every row names its register (the CSV's last column, the page's first; the
//! CSV's is empty for a register in no store); times are shown in each licence's local time with
//! its UTC offset.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::{OutageReport, OutageRow};

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 15] = [
    "licence",
    "record",
    "kind",
    "made_at",
    "made_by",
    "recorded_at",
    "why_waited",
    "attempts",
    "accepted_at",
    "deadline_at",
    "late_by_minutes",
    "state",
    "entry_id",
    "register",
    "limit_check",
];

/// One CSV field, quoted when RFC 4180 requires it. Text a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or carriage return, and not a number) gets a leading
/// `'`, so opening an export never executes what a user typed into a name or a reason.
pub fn csv_field(value: &str) -> String {
    let formula =
        value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err();
    let value = if formula {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.into_owned()
    }
}

fn local(at: Timestamp, time_zone: &str) -> String {
    match jiff::tz::TimeZone::get(time_zone) {
        Ok(tz) => at.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        Err(_) => at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

fn late_minutes(row: &OutageRow) -> i64 {
    let secs = row.late_by.as_secs();
    (secs + 59).div_euclid(60)
}

fn cells(row: &OutageRow) -> [String; 15] {
    [
        row.licence.clone(),
        row.client_id.clone(),
        row.kind.as_str().to_owned(),
        local(row.made_at, &row.time_zone),
        row.made_by.clone(),
        local(row.recorded_at, &row.time_zone),
        row.reasons
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(";"),
        row.attempts.to_string(),
        row.accepted_at
            .map(|t| local(t, &row.time_zone))
            .unwrap_or_default(),
        local(row.deadline_at, &row.time_zone),
        late_minutes(row).to_string(),
        row.state.as_str().to_owned(),
        row.entry_id.to_string(),
        row.register.clone(),
        row.limit_check.clone(),
    ]
}

/// The report as CSV: a header line, then one line per record.
pub fn to_csv(report: &OutageReport) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for row in &report.rows {
        let line: Vec<String> = cells(row).iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Text escaped for HTML element content and attribute values.
pub fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#111}\
h1{font-size:1.4rem;margin:0 0 .3rem}p{margin:.2rem 0}\
table{border-collapse:collapse;width:100%;margin-top:1rem;font-size:.85rem}\
th,td{border:1px solid #999;padding:.25rem .4rem;text-align:left;vertical-align:top}\
th{background:#eee}td.late{font-weight:bold}\
@media print{body{margin:0}th{background:#ddd !important;-webkit-print-color-adjust:exact}\
tr{page-break-inside:avoid}}";

const HTML_HEADINGS: [&str; 13] = [
    "Register",
    "Licence",
    "Record",
    "Kind",
    "Made at",
    "Made by",
    "Why it waited",
    "Attempts",
    "Accepted by Metrc",
    "Deadline",
    "Late by (min)",
    "State",
    "Why the sale was allowed (limits)",
];

/// The report as one printable HTML page with no external assets.
pub fn to_html(report: &OutageReport) -> String {
    let mut page = String::new();
    let late = report.rows.iter().filter(|r| late_minutes(r) > 0).count();
    let scope = report
        .licence
        .as_deref()
        .map(|l| format!("licence {l}"))
        .unwrap_or_else(|| "all licences".into());
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Stateline outage report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Outage report</h1>\n<p>Records made from {} to {} (UTC), {}.</p>\n\
         <p>Generated {} (UTC). {} record(s) were made while the register was not in step with \
         Metrc (across the store when this register is in one); {} reached Metrc after the reporting deadline or are still overdue.</p>\n",
        html_escape(&report.from.strftime("%Y-%m-%d %H:%M").to_string()),
        html_escape(&report.to.strftime("%Y-%m-%d %H:%M").to_string()),
        html_escape(&scope),
        html_escape(&report.generated_at.strftime("%Y-%m-%d %H:%M").to_string()),
        report.rows.len(),
        late
    );
    page.push_str("<table>\n<thead><tr>");
    for h in HTML_HEADINGS {
        let _ = write!(page, "<th>{}</th>", html_escape(h));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in &report.rows {
        let c = cells(row);
        let minutes = late_minutes(row);
        let late_class = if minutes > 0 { " class=\"late\"" } else { "" };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td{late_class}>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(if c[13].is_empty() {
                "this register"
            } else {
                &c[13]
            }),
            html_escape(&c[0]),
            html_escape(&c[1]),
            html_escape(&c[2]),
            html_escape(&c[3]),
            html_escape(&c[4]),
            html_escape(&c[6].replace(';', ", ")),
            html_escape(&c[7]),
            html_escape(if c[8].is_empty() { "not yet" } else { &c[8] }),
            html_escape(&c[9]),
            html_escape(&c[10]),
            html_escape(&c[11]),
            html_escape(&c[14]),
        );
    }
    page.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("+1 call me"), "'+1 call me");
        assert_eq!(csv_field("-12"), "-12");
        assert_eq!(csv_field("-0.5"), "-0.5");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<b>O'Neil & \"Bo\"</b>"),
            "&lt;b&gt;O&#39;Neil &amp; &quot;Bo&quot;&lt;/b&gt;"
        );
    }
}
