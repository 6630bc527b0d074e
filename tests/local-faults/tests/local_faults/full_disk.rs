//! A full disk mid-shift: the register's data folder is a tmpfs of its own (in a user and mount
//! namespace, see `stateline_local_fault_tests::on_own_tmpfs`), filled by a filler file until
//! sales no longer fit.
//!
//! Guarantees checked: the sale that cannot be made durable, and every one after it while the
//! disk stays full, is refused with `disk_full` and a message naming the folder and saying to free
//! space; a refused sale leaves nothing (no row, no outbox entry, no change to on-hand); every sale
//! acknowledged before is intact (`integrity_check` ok, each with its outbox entry), also after
//! the register closes and opens again on the full disk; once space is freed the same open
//! register sells again without a restart, and the queue reaches Metrc with every acknowledged
//! sale exactly once.

use std::io::Write;
use std::path::Path;

use stateline_local_fault_tests::on_own_tmpfs;

use crate::register::{self, BUDTENDER, Register, assert_in_metrc_once, assert_intact};

/// Space left free beside the database when the filler is made.
const HEADROOM: u64 = 1024 * 1024;

/// Writes `path` until the disk is full, then gives `headroom` bytes back.
pub fn fill_leaving(path: &Path, headroom: u64) {
    let mut file = std::fs::File::create(path).expect("the filler is created");
    let chunk = vec![0x5a_u8; 4096];
    let mut written = 0_u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("the filler could not be written: {e}"),
        }
    }
    file.set_len(written.saturating_sub(headroom))
        .expect("the filler gives space back");
}

fn sizes(dir: &Path) -> String {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the folder lists") {
        let entry = entry.expect("an entry");
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(format!(
            "{}={}K",
            entry.file_name().to_string_lossy(),
            len / 1024
        ));
    }
    out.sort();
    out.join(" ")
}

#[test]
fn a_full_disk_refuses_sales_whole_and_selling_resumes_when_space_is_freed() {
    on_own_tmpfs(
        "full_disk::a_full_disk_refuses_sales_whole_and_selling_resumes_when_space_is_freed",
        "4m",
        |dir| {
            let rt = tokio::runtime::Runtime::new().expect("a runtime");
            let metrc = rt.block_on(register::metrc());
            let path = dir.join("stateline.sqlite");
            let register = rt.block_on(Register::open(&path, &metrc));
            println!("opened: {}", sizes(dir));
            let filler = dir.join("filler");
            fill_leaving(&filler, HEADROOM);
            println!("filled: {}", sizes(dir));

            let mut acknowledged = Vec::new();
            let refusal = loop {
                match register.sell(BUDTENDER, acknowledged.len()) {
                    Ok(sale) => acknowledged.push(sale.client_id),
                    Err(error) => break error,
                }
                assert!(acknowledged.len() < 2000, "the disk never filled");
            };
            println!(
                "refused after {} sales: {} ({})",
                acknowledged.len(),
                refusal.code(),
                sizes(dir)
            );
            assert_eq!(refusal.code(), "disk_full", "{refusal}");
            let message = refusal.to_string();
            assert!(message.contains(&dir.display().to_string()), "{message}");
            assert!(message.contains("free space"), "{message}");
            assert!(
                acknowledged.len() >= 5,
                "a few sales fit before the disk filled"
            );
            let on_hand = |r: &Register| {
                r.labels
                    .iter()
                    .map(|l| r.db.package(l).expect("package").on_hand.to_string())
                    .collect::<Vec<_>>()
            };
            let on_hand_at_refusal = on_hand(&register);

            // While the disk stays full, every later sale is refused the same way, whole.
            for n in 0..5 {
                let error = register
                    .sell(BUDTENDER, acknowledged.len() + n)
                    .expect_err("the disk is still full");
                assert_eq!(error.code(), "disk_full", "{error}");
            }
            assert_eq!(
                assert_intact(&path, &acknowledged),
                acknowledged.len(),
                "a refused sale left a row behind"
            );
            assert_eq!(
                register.waiting(),
                acknowledged.len() as u64,
                "outbox entries"
            );
            assert_eq!(
                on_hand(&register),
                on_hand_at_refusal,
                "a refused sale moved on-hand"
            );
            register
                .db
                .integrity_check()
                .expect("the open register's own check");
            // A backup taken now cannot fit either, and says so the same way.
            let backup = register.db.backup_now().expect_err("no room for a backup");
            assert_eq!(backup.code(), "disk_full", "{backup}");

            // Space is freed: the same open register sells again, no restart.
            std::fs::remove_file(&filler).expect("the filler is removed");
            for _ in 0..5 {
                let sale = register
                    .sell(BUDTENDER, acknowledged.len())
                    .expect("selling resumes once space is freed");
                acknowledged.push(sale.client_id);
            }
            println!("after freeing: {}", sizes(dir));
            assert_eq!(assert_intact(&path, &acknowledged), acknowledged.len());

            // The queue reaches Metrc, every acknowledged sale exactly once.
            rt.block_on(register.drain());
            assert_in_metrc_once(&metrc.control, &acknowledged);

            // Full again, the register closes and opens again: nothing lost, and a sale on the
            // reopened register is refused whole or recorded whole.
            fill_leaving(&filler, 0);
            let clock = register.clock.clone();
            drop(register);
            println!("closed on a full disk: {}", sizes(dir));
            assert_eq!(assert_intact(&path, &acknowledged), acknowledged.len());
            match register::open_db(&path, &clock) {
                Ok(db) => {
                    let reopened = Register::with_db(db, clock, &metrc);
                    match reopened.sell(BUDTENDER, 0) {
                        Ok(sale) => {
                            println!("reopened on a full disk and sold");
                            acknowledged.push(sale.client_id);
                        }
                        Err(error) => {
                            println!("reopened on a full disk, sale refused: {error}");
                            assert_eq!(error.code(), "disk_full", "{error}");
                        }
                    }
                    drop(reopened);
                }
                Err(error) => {
                    println!("refused to open on a full disk: {error}");
                    assert_eq!(error.code(), "disk_full", "{error}");
                }
            }
            std::fs::remove_file(&filler).expect("the filler is removed");
            assert_eq!(assert_intact(&path, &acknowledged), acknowledged.len());
            let clock = jiff_start();
            let db = register::open_db(&path, &clock).expect("opens once space is back");
            db.integrity_check().expect("intact after the reopen");
        },
    );
}

fn jiff_start() -> stateline_store::ManualClock {
    stateline_store::ManualClock::new(register::START.parse().expect("start time"))
}
