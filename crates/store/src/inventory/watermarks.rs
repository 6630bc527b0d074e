//! The `inventory_watermarks` table and the plan of `lastModified` windows a refresh asks for.
//!
//! Guarantees: a watermark is the end of the last window whose result was applied, and it moves
//! only in the same transaction as that result; windows are at most [`MAX_WINDOW`] long, oldest
//! first, contiguous, and the last one ends at the refresh's start time; a missing watermark, one
//! older than the horizon, or one in the future (a clock that ran ahead) plans a full pull instead.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

/// One `lastModified` window a refresh asks Metrc for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
}

/// Metrc's (v1) cap on one `lastModified` window; v2 windows are never longer here.
pub const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// Which cached data set a watermark belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// Packages (active and inactive).
    Packages,
    /// Incoming manifests.
    Manifests,
}

impl Dataset {
    fn as_str(self) -> &'static str {
        match self {
            Dataset::Packages => "packages",
            Dataset::Manifests => "manifests",
        }
    }
}

/// One stored watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark {
    /// End of the last applied window.
    pub window_end: Timestamp,
    /// When the last full pull was applied, if any.
    pub full_at: Option<Timestamp>,
}

/// What a refresh asks Metrc for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Everything (no watermark, a stale one, or asked for).
    Full,
    /// Only these windows, oldest first.
    Windows(Vec<Window>),
}

/// Plans the windows from `watermark - overlap` to `now`, or a full pull when there is no
/// watermark, it is older than `horizon` or later than `now`, or `full` is asked.
pub fn plan(
    watermark: Option<Timestamp>,
    now: Timestamp,
    horizon: SignedDuration,
    overlap: SignedDuration,
    window: SignedDuration,
    full: bool,
) -> Plan {
    let Some(mark) = watermark else {
        return Plan::Full;
    };
    // A watermark in the future means the clock was wrong when it was taken: trust nothing.
    if full || mark > now || now.duration_since(mark) > horizon {
        return Plan::Full;
    }
    Plan::Windows(windows(
        mark.checked_sub(overlap).unwrap_or(mark),
        now,
        window,
    ))
}

/// Contiguous windows of at most `window` (capped at [`MAX_WINDOW`]) covering `start..=end`.
pub fn windows(start: Timestamp, end: Timestamp, window: SignedDuration) -> Vec<Window> {
    let step = if window.is_positive() && window < MAX_WINDOW {
        window
    } else {
        MAX_WINDOW
    };
    let mut out = Vec::new();
    let mut from = start.min(end);
    loop {
        let to = from.checked_add(step).unwrap_or(end).min(end);
        out.push(Window {
            start: from,
            end: to,
        });
        if to >= end {
            return out;
        }
        from = to;
    }
}

pub(crate) fn get(
    conn: &Connection,
    licence: &str,
    dataset: Dataset,
) -> Result<Option<Watermark>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT window_end, full_at FROM inventory_watermarks WHERE licence = ?1 AND dataset = ?2",
        )?
        .query_row(params![licence, dataset.as_str()], |r| {
            Ok(Watermark {
                window_end: from_ms(r.get(0)?),
                full_at: r.get::<_, Option<i64>>(1)?.map(from_ms),
            })
        })
        .optional()?)
}

/// `t` without its fraction of a second: Metrc's filters carry whole seconds, so windows and
/// watermarks do too.
pub fn whole_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// Moves the watermark to `window_end`: never backwards after windows, exactly there after a full
/// pull (which is the whole truth as of `window_end`); `full` also records the full pull.
pub(crate) fn advance(
    conn: &Connection,
    licence: &str,
    dataset: Dataset,
    window_end: Timestamp,
    full: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let end = to_ms(window_end);
    let full_at = full.then(|| to_ms(now));
    conn.prepare_cached(
        "INSERT INTO inventory_watermarks (licence, dataset, window_end, full_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (licence, dataset) DO UPDATE SET
             window_end = CASE WHEN excluded.full_at IS NOT NULL THEN excluded.window_end
                               ELSE max(window_end, excluded.window_end) END,
             full_at = COALESCE(excluded.full_at, full_at),
             updated_at = excluded.updated_at",
    )?
    .execute(params![licence, dataset.as_str(), end, full_at, to_ms(now)])?;
    Ok(())
}

impl Database {
    /// The watermark of a licence's packages or manifests, if a refresh was ever applied.
    pub fn inventory_watermark(
        &self,
        licence: &str,
        dataset: Dataset,
    ) -> Result<Option<Watermark>, StoreError> {
        self.read(|c| get(c, licence, dataset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn no_watermark_or_a_stale_one_plans_a_full_pull() {
        let now = ts("2026-11-22T18:00:00Z");
        let day = SignedDuration::from_hours(24);
        let week = SignedDuration::from_hours(24 * 7);
        assert_eq!(
            plan(None, now, week, SignedDuration::ZERO, day, false),
            Plan::Full
        );
        let stale = ts("2026-11-10T18:00:00Z");
        assert_eq!(
            plan(Some(stale), now, week, SignedDuration::ZERO, day, false),
            Plan::Full
        );
        let fresh = ts("2026-11-22T17:00:00Z");
        assert_eq!(
            plan(Some(fresh), now, week, SignedDuration::ZERO, day, true),
            Plan::Full
        );
        let future = ts("2026-11-22T19:00:00Z");
        assert_eq!(
            plan(Some(future), now, week, SignedDuration::ZERO, day, false),
            Plan::Full,
            "a clock that ran ahead is not trusted"
        );
    }

    #[test]
    fn windows_are_contiguous_oldest_first_at_most_a_day_and_end_now() {
        let now = ts("2026-11-22T18:00:00Z");
        let mark = ts("2026-11-20T06:00:00Z");
        let overlap = SignedDuration::from_mins(5);
        let Plan::Windows(w) = plan(
            Some(mark),
            now,
            SignedDuration::from_hours(24 * 7),
            overlap,
            SignedDuration::from_hours(48),
            false,
        ) else {
            panic!("expected windows");
        };
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].start, ts("2026-11-20T05:55:00Z"));
        assert_eq!(w.last().unwrap().end, now);
        for pair in w.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert!(
            w.iter()
                .all(|x| x.end.duration_since(x.start) <= MAX_WINDOW)
        );
    }
}
