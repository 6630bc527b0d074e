//! The register's stdout protocol: one line per event, flushed at once, so the driver learns of
//! a sale only after it was durably committed (a line cut off by a kill was never acknowledged).
//!
//! - `READY <register id>`: the database is open and the delivery, link and courier workers run;
//! - `ACK <client id> <user> <sale time>`: a sale committed (its outbox entry with it);
//! - `REFUSED <user> <label> <code>`: a planned sale the register refused (e.g.
//!   `insufficient_quantity`);
//! - `PLANNED`: the plan is done (the workers go on until SIGTERM);
//! - `STOPPED`: SIGTERM was handled and every worker stopped.
//!
//! Guarantees: [`Line::parse`] reads exactly what `Display` writes.

use std::fmt;

use jiff::Timestamp;

/// An acknowledged sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Its client id (Metrc's `ExternalReceiptNumber`).
    pub client_id: String,
    /// Who sold it.
    pub user: String,
    /// When it was sold, by the register's clock.
    pub at: Timestamp,
}

/// One line of a register's stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Running, as register `0`.
    Ready(String),
    /// A sale committed.
    Ack(Ack),
    /// A planned sale refused.
    Refused {
        /// The seller.
        user: String,
        /// The package.
        label: String,
        /// The error code.
        code: String,
    },
    /// The plan is done.
    Planned,
    /// Stopped cleanly.
    Stopped,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Line::Ready(id) => write!(f, "READY {id}"),
            Line::Ack(a) => write!(f, "ACK {} {} {}", a.client_id, a.user, a.at),
            Line::Refused { user, label, code } => write!(f, "REFUSED {user} {label} {code}"),
            Line::Planned => write!(f, "PLANNED"),
            Line::Stopped => write!(f, "STOPPED"),
        }
    }
}

impl Line {
    /// Reads one line (without its newline); `None` for anything else.
    pub fn parse(line: &str) -> Option<Line> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["READY", id] => Some(Line::Ready((*id).to_owned())),
            ["ACK", client_id, user, at] => Some(Line::Ack(Ack {
                client_id: (*client_id).to_owned(),
                user: (*user).to_owned(),
                at: at.parse().ok()?,
            })),
            ["REFUSED", user, label, code] => Some(Line::Refused {
                user: (*user).to_owned(),
                label: (*label).to_owned(),
                code: (*code).to_owned(),
            }),
            ["PLANNED"] => Some(Line::Planned),
            ["STOPPED"] => Some(Line::Stopped),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_reads_back_as_written() {
        let lines = [
            Line::Ready("reg-1".into()),
            Line::Ack(Ack {
                client_id: "c-1".into(),
                user: "bea".into(),
                at: "2026-11-22T18:00:00.123Z".parse().unwrap(),
            }),
            Line::Refused {
                user: "max".into(),
                label: "1A4".into(),
                code: "insufficient_quantity".into(),
            },
            Line::Planned,
            Line::Stopped,
        ];
        for line in lines {
            assert_eq!(Line::parse(&line.to_string()), Some(line));
        }
        assert_eq!(Line::parse("a log line"), None);
    }
}
