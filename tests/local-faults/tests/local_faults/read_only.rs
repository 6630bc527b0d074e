//! A read-only data folder: the register's tmpfs (see `stateline_local_fault_tests::on_own_tmpfs`)
//! remounted read-only between two runs of the register, as a disk the system mounted read-only
//! after an error would be (a read-only remount of the mount, `remount,bind,ro`, which works as
//! root and unprivileged alike; writes then fail with EROFS).
//!
//! Guarantees checked: opening the register there is refused with `data_folder_read_only`, a
//! message naming the folder and saying nothing was recorded; nothing in the file changes (every
//! acknowledged sale intact, `integrity_check` ok); once the folder is writable again the register
//! opens, sells, and the queue reaches Metrc with every sale exactly once. (A folder cannot be
//! remounted read-only while the register holds its files open for writing — the kernel refuses
//! with EBUSY — which this test checks too, so the refusal at open is the case to handle.)

use std::process::Command;

use stateline_local_fault_tests::{mount, on_own_tmpfs};

use crate::register::{
    self, BUDTENDER, Register, assert_in_metrc_once, assert_intact, assert_intact_on_read_only_disk,
};

#[test]
fn a_read_only_data_folder_is_refused_clearly_and_nothing_is_lost() {
    on_own_tmpfs(
        "read_only::a_read_only_data_folder_is_refused_clearly_and_nothing_is_lost",
        "8m",
        |dir| {
            let folder = dir.to_str().expect("a UTF-8 folder");
            let rt = tokio::runtime::Runtime::new().expect("a runtime");
            let metrc = rt.block_on(register::metrc());
            let path = dir.join("stateline.sqlite");
            let register = rt.block_on(Register::open(&path, &metrc));
            let mut acknowledged = Vec::new();
            for n in 0..6 {
                acknowledged.push(register.sell(BUDTENDER, n).expect("a sale").client_id);
            }
            let busy = Command::new("mount")
                .args(["-o", "remount,bind,ro", folder])
                .output()
                .expect("mount runs");
            assert!(
                !busy.status.success(),
                "the folder went read-only under the open register"
            );
            let clock = register.clock.clone();
            drop(register);

            mount(&["-o", "remount,bind,ro", folder]);
            let error = register::open_db(&path, &clock).expect_err("a read-only folder");
            println!("opening read-only: {} ({error})", error.code());
            assert_eq!(error.code(), "data_folder_read_only", "{error}");
            let message = error.to_string();
            assert!(message.contains(folder), "{message}");
            assert!(message.contains("nothing was recorded"), "{message}");
            assert_eq!(
                assert_intact_on_read_only_disk(&path, &acknowledged),
                acknowledged.len()
            );

            mount(&["-o", "remount,bind,rw", folder]);
            let db = register::open_db(&path, &clock).expect("writable again");
            let register = Register::with_db(db, clock, &metrc);
            for n in 0..3 {
                acknowledged.push(register.sell(BUDTENDER, n).expect("a sale").client_id);
            }
            assert_eq!(assert_intact(&path, &acknowledged), acknowledged.len());
            rt.block_on(register.drain());
            assert_in_metrc_once(&metrc.control, &acknowledged);
        },
    );
}
