//! The `pos_tickets` table: the POS's own ticket id of a record, so a ticket sent twice is one
//! record (the local API and the Metrc-compatible door).
//!
//! Guarantees: the ticket row commits in the record's own transaction, so a record made for a
//! ticket always has its ticket row and a ticket row always has its record; the same ticket with
//! the same body replays the first record; with a different body (or a different kind of record)
//! it is refused with `ticket_conflict` and nothing is written.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// Which POS ticket a record is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Whose ticket numbers these are: `integration:<id>`, or `door:<licence>`.
    pub source: String,
    /// The POS's own ticket id.
    pub ticket: String,
    /// SHA-256 (hex) of the request as the caller understood it.
    pub body_hash: String,
}

/// What recording for a ticket did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketOutcome<T> {
    /// The record was made now.
    Recorded(T),
    /// The ticket was recorded before with the same body: nothing new was written.
    Replayed(PriorRecord),
}

/// The record an earlier call made for a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorRecord {
    /// Outbox entry id.
    pub entry_id: i64,
    /// Client id of the record.
    pub client_id: String,
}

/// The kinds of record a ticket can stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    /// A sale.
    Sale,
    /// A package adjustment.
    Adjustment,
}

impl TicketKind {
    fn as_str(self) -> &'static str {
        match self {
            TicketKind::Sale => "sale",
            TicketKind::Adjustment => "adjustment",
        }
    }
}

/// Checks a ticket's shape before anything is read or written.
pub(crate) fn check_shape(ticket: &Ticket) -> Result<(), StoreError> {
    let id = ticket.ticket.trim();
    if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput {
            field: "ticket id",
            detail: "give the POS's ticket id: 1 to 100 printable characters".into(),
        });
    }
    if ticket.body_hash.len() != 64 || ticket.source.is_empty() {
        return Err(StoreError::Internal(
            "a ticket needs its source and a SHA-256 body hash".into(),
        ));
    }
    Ok(())
}

/// The record made earlier for `ticket`, if any; a conflict when its body or kind differs.
pub(crate) fn prior(
    conn: &Connection,
    ticket: &Ticket,
    kind: TicketKind,
) -> Result<Option<PriorRecord>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT t.kind, t.body_hash, t.entry_id, o.client_id
             FROM pos_tickets t JOIN outbox o ON o.id = t.entry_id
             WHERE t.source = ?1 AND t.ticket = ?2",
        )?
        .query_row(params![ticket.source, ticket.ticket.trim()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    let Some((found_kind, body_hash, entry_id, client_id)) = found else {
        return Ok(None);
    };
    if found_kind != kind.as_str() || body_hash != ticket.body_hash {
        return Err(StoreError::TicketConflict {
            ticket: ticket.ticket.trim().to_owned(),
            recorded_as: client_id,
        });
    }
    Ok(Some(PriorRecord {
        entry_id,
        client_id,
    }))
}

/// Writes the ticket row of a record just made (in its transaction).
pub(crate) fn insert(
    conn: &Connection,
    ticket: &Ticket,
    kind: TicketKind,
    entry_id: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO pos_tickets (source, ticket, kind, body_hash, entry_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        ticket.source,
        ticket.ticket.trim(),
        kind.as_str(),
        ticket.body_hash,
        entry_id,
        now_ms
    ])?;
    Ok(())
}

/// The ticket a record was made for, by outbox entry (the POS's id, for the API's answers).
pub(crate) fn of_entry(conn: &Connection, entry_id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT ticket FROM pos_tickets WHERE entry_id = ?1")?
        .query_row(params![entry_id], |r| r.get(0))
        .optional()?)
}

/// The outbox entry made for a ticket of `source`.
pub(crate) fn entry_of(
    conn: &Connection,
    source: &str,
    ticket: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT entry_id FROM pos_tickets WHERE source = ?1 AND ticket = ?2")?
        .query_row(params![source, ticket.trim()], |r| r.get(0))
        .optional()?)
}

/// One state change of a ticket's record, for the API's stream of state changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// The change's id in `outbox_history` (only grows: the stream's cursor).
    pub change_id: i64,
    /// The state the record changed to.
    pub state: crate::EntryState,
    /// When.
    pub at: jiff::Timestamp,
    /// The POS's ticket id.
    pub ticket: String,
    /// The record's outbox entry now.
    pub entry: crate::OutboxEntry,
}

impl crate::Database {
    /// The record made before for `ticket` (same body and kind), if any; `ticket_conflict` when
    /// it was recorded with another body or as another kind. Callers check this before
    /// preparing a request, so a retry is answered even when the request could not be prepared
    /// again; the recording functions check it again inside their transaction.
    pub fn prior_ticket(
        &self,
        ticket: &Ticket,
        kind: TicketKind,
    ) -> Result<Option<PriorRecord>, StoreError> {
        check_shape(ticket)?;
        self.read(|c| prior(c, ticket, kind))
    }

    /// The state changes of `source`'s tickets' records after change `after` (an
    /// `outbox_history` id; 0: from the first), oldest first, at most `limit`.
    pub fn ticket_changes(
        &self,
        source: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<TicketRecord>, StoreError> {
        let source = source.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {columns}, t.ticket, h.id, h.to_state, h.at
                 FROM outbox_history h
                 JOIN pos_tickets t ON t.entry_id = h.entry_id
                 JOIN outbox o ON o.id = h.entry_id
                 WHERE h.id > ?2 AND t.source = ?1
                 ORDER BY h.id LIMIT ?3",
                columns = crate::outbox::ENTRY_COLUMNS
            ))?;
            let rows = stmt.query_map(params![source, after, limit], |r| {
                let entry = crate::outbox::entry_from_row(r)?;
                Ok(TicketRecord {
                    ticket: r.get(21)?,
                    change_id: r.get(22)?,
                    state: r.get(23)?,
                    at: crate::time::from_ms(r.get(24)?),
                    entry,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The latest state change of any record (the stream's "from now on" cursor).
    pub fn latest_change(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM outbox_history")?
                    .query_row([], |r| r.get(0))?,
            )
        })
    }

    /// The outbox entry recorded for `ticket` of `source`, if any.
    pub fn ticket_entry(&self, source: &str, ticket: &str) -> Result<Option<i64>, StoreError> {
        let (source, ticket) = (source.to_owned(), ticket.to_owned());
        self.read(move |c| entry_of(c, &source, &ticket))
    }

    /// The POS ticket id an outbox entry was recorded for, if any.
    pub fn entry_ticket(&self, entry_id: i64) -> Result<Option<String>, StoreError> {
        self.read(move |c| of_entry(c, entry_id))
    }
}
