//! The outage report after simulated outages against the emulator: exactly the records made
//! while the register was not in step are listed, with why they waited, when Metrc accepted them
//! and how late that was; CSV quoting and the standalone HTML page.

use std::time::Duration;

use jiff::SignedDuration;
use metrc_emulator::{DEMO_MANAGER_KEY, Faults, RefuseConnections, Trigger};
use stateline_compliance::outage::render::{to_csv, to_html};
use stateline_compliance::{OutageQuery, OutageReport, OutageReports, WaitReason};
use stateline_store::{Clock, EntryState};
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, user_key};

const ODD_NAME: &str = "Max \"the Axe\", Jr.";

fn report(h: &Harness) -> OutageReport {
    let start = support::START.parse::<jiff::Timestamp>().unwrap();
    h.db.outage_report(&OutageQuery::new(
        start - SignedDuration::from_hours(1),
        h.clock.now() + SignedDuration::from_hours(1),
    ))
    .unwrap()
}

struct Outage {
    before: i64,
    during: Vec<i64>,
    after: i64,
}

/// One sale before, three during (Metrc answering 503 for over a day, then no connection at
/// all), one after; everything drained.
async fn simulate(h: &Harness) -> Outage {
    h.keys.set_user_key(ODD_NAME, user_key(DEMO_MANAGER_KEY));
    let grams = h.package("Grams", 0).label;
    let each = h.package("Each", 0).label;
    let before = h.sell(BUDTENDER, &grams, "1");
    h.pass().await;
    assert_eq!(h.state_of(before.entry_id), EntryState::Confirmed);
    h.advance(120);

    h.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    let a = h.sell(BUDTENDER, &grams, "1");
    let b = h.sell(ODD_NAME, &each, "1");
    h.pass().await;
    h.advance(25 * 3600);
    h.pass().await;
    h.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    // Past the backoff of the 503s: what is tried now meets a closed port.
    h.advance(3600);
    let c = h.sell(BUDTENDER, &each, "2");
    h.pass().await;
    h.advance(600);
    h.control.clear_faults();
    listening_again(h).await;
    h.drain().await;

    h.advance(3600);
    let after = h.sell(BUDTENDER, &grams, "1");
    h.pass().await;
    assert_eq!(h.state_of(after.entry_id), EntryState::Confirmed);
    Outage {
        before: before.entry_id,
        during: vec![a.entry_id, b.entry_id, c.entry_id],
        after: after.entry_id,
    }
}

/// Waits (up to 10 s) until the emulator's port accepts connections again.
async fn listening_again(h: &Harness) {
    let url = h.emulator.base_url();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the emulator did not listen again at {addr}");
}

#[tokio::test]
async fn the_report_lists_exactly_the_records_made_during_the_outage() {
    let h = Harness::new().await;
    let o = simulate(&h).await;
    let r = report(&h);
    let ids: Vec<i64> = r.rows.iter().map(|row| row.entry_id).collect();
    assert_eq!(ids, o.during, "{:#?}", r.rows);
    assert!(!ids.contains(&o.before) && !ids.contains(&o.after));

    let first = &r.rows[0];
    assert_eq!(first.made_by, BUDTENDER);
    assert!(
        first.reasons.contains(&WaitReason::MetrcUnavailable),
        "{first:?}"
    );
    assert_eq!(first.state, EntryState::Confirmed);
    let accepted = first.accepted_at.expect("accepted after the outage");
    assert!(accepted > first.deadline_at);
    assert_eq!(first.late_by, accepted.duration_since(first.deadline_at));
    assert_eq!(
        first.deadline_at,
        first.made_at + SignedDuration::from_hours(24)
    );
    assert_eq!(r.rows[1].made_by, ODD_NAME);

    let third = &r.rows[2];
    assert!(third.reasons.contains(&WaitReason::Offline), "{third:?}");
    assert!(!third.reasons.contains(&WaitReason::MetrcUnavailable));
    assert_eq!(third.late_by, SignedDuration::ZERO, "accepted within a day");
    assert!(third.accepted_at.is_some());
}

#[tokio::test]
async fn csv_quotes_names_with_commas_and_quotes() {
    let h = Harness::new().await;
    simulate(&h).await;
    let csv = to_csv(&report(&h));
    assert!(csv.ends_with("\r\n"));
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("licence,record,kind,made_at,made_by,"));
    assert!(
        lines[2].contains(",\"Max \"\"the Axe\"\", Jr.\","),
        "{}",
        lines[2]
    );
    assert_eq!(parse_csv_line(lines[2])[4], ODD_NAME);
    assert_eq!(
        parse_csv_line(lines[1]).len(),
        parse_csv_line(lines[0]).len()
    );
}

#[tokio::test]
async fn the_html_page_stands_alone_and_escapes_names() {
    let h = Harness::new().await;
    simulate(&h).await;
    let html = to_html(&report(&h));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Max &quot;the Axe&quot;, Jr."));
    assert!(!html.contains(ODD_NAME));
    for external in ["http://", "https://", "<script", "<link", "src=", "@import"] {
        assert!(!html.contains(external), "{external} in the page");
    }
    assert_eq!(html.matches("<tr><td>").count(), 3);
}

#[tokio::test]
async fn a_record_left_unsent_is_reported_as_queued() {
    let h = Harness::new().await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.advance(60);
    assert!(report(&h).rows.is_empty(), "still within the grace period");
    h.advance(600);
    let waiting = report(&h);
    assert_eq!(waiting.rows.len(), 1);
    assert_eq!(waiting.rows[0].reasons, vec![WaitReason::Queued]);
    assert_eq!(waiting.rows[0].accepted_at, None);
    h.pass().await;
    let sent = report(&h);
    assert_eq!(sent.rows[0].entry_id, sale.entry_id);
    assert_eq!(sent.rows[0].attempts, 1);
    assert!(sent.rows[0].accepted_at.is_some());
}

/// A short outage: the record made while it lasted is not tried during it (the gate is shut by
/// the first one's failure) and goes through on its first attempt as soon as it ends, within the
/// grace period. It was still made while the register was out of step, so it is listed.
#[tokio::test]
async fn a_record_made_during_a_short_outage_is_listed_though_its_first_attempt_succeeded() {
    let h = Harness::new().await;
    let grams = h.package("Grams", 0).label;
    let before = h.sell(BUDTENDER, &grams, "1");
    h.pass().await;
    h.advance(60);

    h.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    let first = h.sell(BUDTENDER, &grams, "1");
    h.pass().await;
    h.advance(1);
    // Made while the gate is shut after the first one's failure: no pass runs until the end.
    let second = h.sell(BUDTENDER, &grams, "1");
    h.control.clear_faults();
    listening_again(&h).await;
    h.advance(60);
    h.drain().await;
    let attempts = h.db.attempts(second.entry_id).unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    h.advance(60);
    let after = h.sell(BUDTENDER, &grams, "1");
    h.pass().await;
    assert_eq!(h.state_of(after.entry_id), EntryState::Confirmed);

    let r = report(&h);
    let ids: Vec<i64> = r.rows.iter().map(|row| row.entry_id).collect();
    assert_eq!(ids, vec![first.entry_id, second.entry_id], "{:#?}", r.rows);
    assert!(!ids.contains(&before.entry_id) && !ids.contains(&after.entry_id));
    assert_eq!(
        r.rows[1].reasons,
        vec![WaitReason::Offline],
        "{:?}",
        r.rows[1]
    );
    assert_eq!(r.rows[1].attempts, 1);
}

/// A small RFC 4180 field splitter, to check that quoting round-trips.
fn parse_csv_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}
