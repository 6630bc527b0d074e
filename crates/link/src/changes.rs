//! Changes the registers follow in order: the store numbers each change of a delivery state and
//! of a shared user from a sequence (`deliveries_change_seq`, `people_change_seq`), and a
//! register reads "the changes after n" and moves its mark to the last one read — a maker the
//! outcomes of its handed-over records, every register the others' states and the store's users.
//!
//! Guarantees: every transaction that takes such a number takes [`order_changes`] first and
//! holds it until it ends, so numbers become visible in the order they were taken; a reader's
//! mark therefore never passes a change that was numbered earlier but committed later (which it
//! would never read again). Writers of numbered changes wait for each other for the length of a
//! short transaction; reading takes no lock.

/// The advisory lock key (any constant every register shares, other than the schema upgrade's).
const CHANGE_ORDER_LOCK: i64 = 0x5374_6c43_6867_5365;

/// Takes, inside `tx`, the store-wide lock that orders numbered changes (see the module doc).
pub(crate) async fn order_changes(
    tx: &tokio_postgres::Transaction<'_>,
) -> Result<(), tokio_postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_ORDER_LOCK])
        .await
        .map(|_| ())
}
