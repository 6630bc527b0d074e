//! The work travels to the key (issue #13): a register hands a record over to the store when
//! another register holds its user's Metrc key, and a register that holds the key takes the
//! record under a **lease** and reports what Metrc said. The key itself never moves.
//!
//! Guarantees (the store's half of the rule in CONTRIBUTING.md, "Exactly once across
//! registers"):
//! - a record is handed over only after its maker wrote the handover locally (so the maker can
//!   no longer send it: `stateline_store::link::handovers`); announcing it is idempotent and is
//!   repeated until the store has it;
//! - a lease is taken in one statement with `FOR UPDATE SKIP LOCKED`, so two registers never
//!   hold the same record; it carries a fencing number from a sequence and an expiry by the store
//!   server's clock (no register's clock is compared with another's); a lapsed lease is taken
//!   again only after `grace` more (the previous holder's request timeout and Metrc's settle
//!   window), and the taker learns the record was leased before, so it looks the record up in
//!   Metrc before any POST;
//! - an outcome is written only under the fence it was leased with and while the record is still
//!   handed over: a holder whose lease was taken over writes nothing, and the record stays for
//!   the new holder to look up;
//! - the maker pulls the outcomes of its handed-over records in the store's order of changes and
//!   applies each once (the mark moves in the same local transaction).

use std::time::Duration;

use jiff::Timestamp;
use stateline_store::Database;
use stateline_store::link::handovers::HandoverOutcome;
use stateline_tasks::run_blocking;

use crate::records::StoreRecord;
use crate::{LinkError, StoreServer};

/// A record leased to this register.
#[derive(Debug, Clone)]
pub struct Leased {
    /// The record as the store holds it (the maker's body).
    pub record: StoreRecord,
    /// The fencing number the outcome must be written under.
    pub fence: i64,
    /// Someone held a lease on it before: look it up in Metrc before any POST.
    pub leased_before: bool,
    /// For a void or a correction: the sale it changes (as the store holds it) and that sale's
    /// Metrc receipt id, as the maker named them when handing it over.
    pub changes: Option<(StoreRecord, i64)>,
    /// It goes under the facility key (its maker's key mode), not its user's.
    pub via_facility: bool,
}

/// What the maker tells the store about a record it hands over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// The record (its local sequence on the maker).
    pub local_seq: i64,
    /// For a void or a correction: the sale's local sequence and its Metrc receipt id.
    pub changes: Option<(i64, i64)>,
    /// It needs the facility key (the maker is in facility mode), not its user's.
    pub via_facility: bool,
}

impl Notice {
    /// The notice for one of this register's outbox entries.
    pub fn of(entry: &stateline_store::OutboxEntry, via_facility: bool) -> Notice {
        Notice {
            local_seq: entry.id,
            changes: entry.depends_on.zip(entry.depends_on_metrc_id),
            via_facility,
        }
    }
}

/// What a holder reports for a leased record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// In Metrc (with its id when Metrc gave one).
    Confirmed(Option<i64>),
    /// Metrc refused it, with its words.
    Rejected(String),
}

/// How long leases last and how long a lapsed one waits.
#[derive(Debug, Clone, Copy)]
pub struct LeaseTerms {
    /// How long a lease lasts.
    pub lease: Duration,
    /// How long after a lease lapsed before another register may take the record (the request
    /// timeout plus Metrc's settle window).
    pub grace: Duration,
}

impl StoreServer {
    /// Marks this register's records handed over (see the module doc), with the sale a void or
    /// correction changes; returns how many the store marked now.
    pub async fn announce_handovers(
        &mut self,
        register_id: &str,
        notices: &[Notice],
        now: Timestamp,
    ) -> Result<u64, LinkError> {
        if notices.is_empty() {
            return Ok(0);
        }
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        crate::changes::order_changes(&tx).await.map_err(pg)?;
        let mark = tx
            .prepare(
                "UPDATE deliveries SET handed_over = true, state = 'handed_over', updated_at = $3,
                     state_changed_at = $3,
                     delivered_by = NULL, change_seq = nextval('deliveries_change_seq'),
                     depends_on_seq = $4, depends_on_metrc_id = $5, via_facility = $6
                 WHERE register_id = $1 AND local_seq = $2 AND NOT handed_over",
            )
            .await
            .map_err(pg)?;
        let mut marked = 0;
        for notice in notices {
            let (depends_on_seq, depends_on_metrc_id) = notice.changes.unzip();
            marked += tx
                .execute(
                    &mark,
                    &[
                        &register_id,
                        &notice.local_seq,
                        &now,
                        &depends_on_seq,
                        &depends_on_metrc_id,
                        &notice.via_facility,
                    ],
                )
                .await
                .map_err(pg)?;
        }
        if marked > 0 {
            crate::server::notify_others(&tx, register_id)
                .await
                .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(marked)
    }

    /// Outcomes of `register_id`'s handed-over records written by a holder after `after` (a
    /// `change_seq`), in order, at most `limit`, with the `change_seq` of the last.
    pub async fn handover_outcomes(
        &self,
        register_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<HandoverOutcome>, i64), LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                "SELECT d.local_seq, d.state, d.metrc_id, d.last_error,
                        COALESCE(g.name, d.delivered_by), d.change_seq
                 FROM deliveries d LEFT JOIN registers g ON g.register_id = d.delivered_by
                 WHERE d.register_id = $1 AND d.handed_over AND d.delivered_by IS NOT NULL
                   AND d.change_seq > $2
                 ORDER BY d.change_seq LIMIT $3",
                &[&register_id, &after, &limit],
            )
            .await
            .map_err(|e| self.error(e))?;
        let through = rows.last().map_or(after, |r| r.get(5));
        let outcomes = rows
            .iter()
            .map(|r| HandoverOutcome {
                entry_id: r.get(0),
                state: r.get(1),
                metrc_id: r.get(2),
                message: r.get(3),
                delivered_by: r.get(4),
            })
            .collect();
        Ok((outcomes, through))
    }

    /// Leases up to `limit` handed-over records to `holder`, oldest first (see the module doc):
    /// those needing the key of one of `users` (names, any case), and, when `facility`, those
    /// needing the facility key.
    pub async fn take_leases(
        &mut self,
        holder: &str,
        users: &[String],
        facility: bool,
        terms: LeaseTerms,
        limit: i64,
    ) -> Result<Vec<Leased>, LinkError> {
        if users.is_empty() && !facility {
            return Ok(Vec::new());
        }
        let users: Vec<String> = users.iter().map(|u| u.to_lowercase()).collect();
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        let leased = tx
            .query(
                "WITH pick AS (
                     SELECT d.register_id, d.local_seq, d.lease_fence IS NOT NULL AS leased_before
                     FROM deliveries d JOIN records r USING (register_id, local_seq)
                     WHERE d.handed_over AND d.state = 'handed_over'
                       AND ((NOT d.via_facility AND lower(r.acting_user) = ANY($2))
                            OR (d.via_facility AND $6))
                       AND (d.lease_holder IS NULL
                            OR d.lease_expires_at + make_interval(secs => $3) < now())
                     ORDER BY r.occurred_at, d.register_id, d.local_seq
                     LIMIT $5
                     FOR UPDATE OF d SKIP LOCKED)
                 UPDATE deliveries d SET lease_holder = $1,
                     lease_fence = nextval('lease_fence_seq'),
                     lease_expires_at = now() + make_interval(secs => $4)
                 FROM pick WHERE d.register_id = pick.register_id AND d.local_seq = pick.local_seq
                 RETURNING d.register_id, d.local_seq, d.lease_fence, pick.leased_before,
                     d.depends_on_seq, d.depends_on_metrc_id, d.via_facility",
                &[
                    &holder,
                    &users,
                    &terms.grace.as_secs_f64(),
                    &terms.lease.as_secs_f64(),
                    &limit,
                    &facility,
                ],
            )
            .await
            .map_err(pg)?;
        let select_record = tx
            .prepare(&format!(
                "SELECT {} FROM records WHERE register_id = $1 AND local_seq = $2",
                crate::records::COLUMNS
            ))
            .await
            .map_err(pg)?;
        let mut out = Vec::with_capacity(leased.len());
        for row in &leased {
            let (register_id, local_seq): (String, i64) = (row.get(0), row.get(1));
            let record = tx
                .query_one(&select_record, &[&register_id, &local_seq])
                .await
                .map_err(pg)?;
            let changes = match (row.get::<_, Option<i64>>(4), row.get::<_, Option<i64>>(5)) {
                (Some(sale_seq), Some(receipt_id)) => {
                    let sale = tx
                        .query_one(&select_record, &[&register_id, &sale_seq])
                        .await
                        .map_err(pg)?;
                    Some((crate::records::from_row(&sale), receipt_id))
                }
                _ => None,
            };
            out.push(Leased {
                record: crate::records::from_row(&record),
                fence: row.get(2),
                leased_before: row.get(3),
                changes,
                via_facility: row.get(6),
            });
        }
        tx.commit().await.map_err(pg)?;
        Ok(out)
    }

    /// Writes what Metrc said about a leased record, under its fence; returns `false` (and
    /// writes nothing) when the lease is no longer this holder's.
    pub async fn record_delivery(
        &mut self,
        holder: &str,
        leased: &Leased,
        delivered: &Delivered,
        now: Timestamp,
    ) -> Result<bool, LinkError> {
        let written = self
            .record_deliveries(holder, &[(leased, delivered.clone())], now)
            .await?;
        Ok(written.first().copied().unwrap_or(false))
    }

    /// [`StoreServer::record_delivery`] for many records in one transaction; one flag per
    /// record, in order.
    pub async fn record_deliveries(
        &mut self,
        holder: &str,
        outcomes: &[(&Leased, Delivered)],
        now: Timestamp,
    ) -> Result<Vec<bool>, LinkError> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let label = self.label.clone();
        let pg = |e| LinkError::from_postgres(&label, e);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        crate::changes::order_changes(&tx).await.map_err(pg)?;
        let update = tx
            .prepare(
                "UPDATE deliveries SET state = $5, metrc_id = $6, last_error = $7,
                     delivered_by = $3, lease_holder = NULL, lease_expires_at = NULL,
                     updated_at = $8, state_changed_at = $8,
                     change_seq = nextval('deliveries_change_seq')
                 WHERE register_id = $1 AND local_seq = $2 AND lease_holder = $3
                   AND lease_fence = $4 AND handed_over AND state = 'handed_over'",
            )
            .await
            .map_err(pg)?;
        let mut written = Vec::with_capacity(outcomes.len());
        for (leased, delivered) in outcomes {
            let (state, metrc_id, message) = match delivered {
                Delivered::Confirmed(id) => ("confirmed", *id, None),
                Delivered::Rejected(message) => ("rejected", None, Some(message.as_str())),
            };
            let n = tx
                .execute(
                    &update,
                    &[
                        &leased.record.register_id,
                        &leased.record.local_seq,
                        &holder,
                        &leased.fence,
                        &state,
                        &metrc_id,
                        &message,
                        &now,
                    ],
                )
                .await
                .map_err(pg)?;
            written.push(n == 1);
        }
        if written.iter().any(|w| *w) {
            crate::server::notify_others(&tx, holder)
                .await
                .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(written)
    }

    /// Gives a lease back without an outcome (the holder's key was refused, or it stops): the
    /// record waits for the next holder, who looks it up first.
    pub async fn release_lease(&mut self, holder: &str, leased: &Leased) -> Result<(), LinkError> {
        self.conn()
            .await?
            .execute(
                "UPDATE deliveries SET lease_holder = NULL, lease_expires_at = NULL
                 WHERE register_id = $1 AND local_seq = $2 AND lease_holder = $3
                   AND lease_fence = $4",
                &[
                    &leased.record.register_id,
                    &leased.record.local_seq,
                    &holder,
                    &leased.fence,
                ],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }
}

/// What one handover step of a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Handovers {
    /// Records handed over now.
    pub handed_over: usize,
    /// Outcomes of earlier handovers applied here.
    pub outcomes: usize,
}

/// The maker's step of a pass: announce handovers the store may not have yet, hand over the
/// records waiting for a key that another register holds, then apply the outcomes that came
/// back.
pub async fn exchange_handovers(
    db: &Database,
    server: &mut StoreServer,
    batch: u32,
    now: Timestamp,
) -> Result<Handovers, LinkError> {
    let mut done = Handovers::default();
    let reader = db.clone();
    let (open, candidates) = run_blocking(move || {
        let mark = crate::push::pushed_through(&reader)?;
        // In facility mode every record here waits for the facility key, not its user's.
        let facility = reader.facility_mode()?;
        let facility_elsewhere = facility && reader.facility_key_elsewhere()?;
        let elsewhere = reader.users_with_keys_elsewhere(None)?;
        let candidates: Vec<Notice> = reader
            .handover_candidates(mark)?
            .iter()
            .filter(|e| match facility {
                true => facility_elsewhere,
                false => elsewhere.contains(&e.acting_user.to_lowercase()),
            })
            .map(|e| Notice::of(e, facility))
            .collect();
        let open: Vec<Notice> = reader
            .handed_over_entries()?
            .iter()
            .map(|e| Notice::of(e, facility))
            .collect();
        Ok::<_, LinkError>((open, candidates))
    })
    .await?;
    server
        .announce_handovers(db.install_id(), &open, now)
        .await?;
    if !candidates.is_empty() {
        let writer = db.clone();
        let ids: Vec<i64> = candidates.iter().map(|n| n.local_seq).collect();
        let handed = run_blocking(move || Ok::<_, LinkError>(writer.hand_over(&ids)?)).await?;
        let notices: Vec<Notice> = candidates
            .into_iter()
            .filter(|n| handed.contains(&n.local_seq))
            .collect();
        server
            .announce_handovers(db.install_id(), &notices, now)
            .await?;
        done.handed_over = notices.len();
    }
    loop {
        let reader = db.clone();
        let after =
            run_blocking(move || Ok::<_, LinkError>(reader.outcomes_pulled_through()?)).await?;
        let (outcomes, through) = server
            .handover_outcomes(db.install_id(), after, i64::from(batch))
            .await?;
        if outcomes.is_empty() {
            break;
        }
        let writer = db.clone();
        done.outcomes += run_blocking(move || {
            Ok::<_, LinkError>(writer.apply_handover_outcomes(&outcomes, through)?)
        })
        .await?;
    }
    Ok(done)
}
