//! `stateline-crash-recorder DB_PATH`: records sales into the database in a tight loop and prints
//! `client_id entry_id` on its own line, flushed, right after each commit returned. Runs until it
//! is killed (or a recording fails, which exits 1).

use std::io::Write;

use stateline_store::Database;

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: stateline-crash-recorder DB_PATH");
        return std::process::ExitCode::from(2);
    };
    let db = match Database::open(&path) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    loop {
        let recorded = match db.record_sale(&stateline_crash_tests::sale(db.now())) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let printed = writeln!(out, "{} {}", recorded.client_id, recorded.entry_id)
            .and_then(|()| out.flush());
        if printed.is_err() {
            return std::process::ExitCode::FAILURE;
        }
    }
}
