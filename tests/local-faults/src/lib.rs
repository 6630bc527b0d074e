//! Helpers of the local-fault suite: run one test of the current test binary again inside a
//! place of its own — a user and mount namespace with a small tmpfs as its data folder, or a
//! private D-Bus session bus with nothing on it.
//!
//! Guarantees: the private bus and home are removed when the re-run ends; the tmpfs is mounted inside a mount namespace that exists only as long as the
//! re-run test does, so it is gone however that process ends (a panic, a kill), with nothing to
//! unmount on the host; the same works as root and unprivileged (`unshare --map-root-user`). A
//! re-run counts only if the test binary reports exactly one test passed, so a misspelt test name
//! fails instead of passing with nothing run.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set (to the tmpfs folder) in the re-run test that owns the tmpfs.
pub const TMPFS_ENV: &str = "STATELINE_FAULT_TMPFS";
/// Set in the re-run test that owns a private session bus.
pub const PRIVATE_BUS_ENV: &str = "STATELINE_FAULT_PRIVATE_BUS";

/// Runs `body` with a fresh tmpfs of `size` (e.g. `"1m"`) as its folder. Called from the test
/// named `test` (its full path in the test binary, e.g. `full_disk::selling_stops`): the test
/// binary runs that test again inside a new user and mount namespace where the tmpfs is mounted,
/// and `body` runs there.
pub fn on_own_tmpfs(test: &str, size: &str, body: impl FnOnce(&Path)) {
    if let Some(dir) = std::env::var_os(TMPFS_ENV) {
        body(Path::new(&dir));
        return;
    }
    let mount_point = tempfile::tempdir().expect("a mount point");
    let script =
        r#"mount -t tmpfs -o "size=$1,mode=0700" stateline-fault "$2" && shift 2 && exec "$@""#;
    let mut command = Command::new("unshare");
    command
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
        ])
        .args(["sh", "-c", script, "sh", size])
        .arg(mount_point.path())
        .env(TMPFS_ENV, mount_point.path());
    rerun(test, command);
}

/// Runs `body` on a private D-Bus session bus of its own (`dbus-run-session` with a bus
/// configuration that starts no services, so a name nobody owns stays unowned), with a home and
/// XDG folders of its own (a keychain daemon started there never touches anybody's keyrings).
/// Called from the test named `test` as [`on_own_tmpfs`].
pub fn on_private_bus(test: &str, body: impl FnOnce()) {
    if std::env::var_os(PRIVATE_BUS_ENV).is_some() {
        body();
        return;
    }
    let dir = tempfile::tempdir().expect("a folder for the bus configuration");
    let config = dir.path().join("session.conf");
    std::fs::write(&config, bus_config(dir.path())).expect("bus configuration written");
    let home = dir.path().join("home");
    for sub in ["data", "config", "cache", "runtime"] {
        std::fs::create_dir_all(home.join(sub)).expect("a folder of the private home");
    }
    let mut command = Command::new("dbus-run-session");
    command
        .arg("--config-file")
        .arg(&config)
        .arg("--")
        .env(PRIVATE_BUS_ENV, "1")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_RUNTIME_DIR", home.join("runtime"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        // No display: an unlock prompt must fail at once instead of waiting for a person.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(std::process::Stdio::null());
    rerun(test, command);
}

/// A session bus listening in `dir`, allowing everything, with no service directories: nothing
/// is ever started on demand.
fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    )
}

/// Appends the current test binary and `test` to `command`, runs it and fails unless exactly
/// that one test ran and passed. Its output is printed (the harness shows it on failure).
fn rerun(test: &str, mut command: Command) {
    let exe: PathBuf = std::env::current_exe().expect("the test binary");
    command
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"]);
    let output = command.output().expect("the re-run starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- {test} re-run: stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "{test} failed in its re-run: {}",
        output.status
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{test} did not run exactly one test in its re-run"
    );
}

/// Runs `mount` with `args` (inside the namespace of [`on_own_tmpfs`]); panics if it fails.
pub fn mount(args: &[&str]) {
    let status = Command::new("mount")
        .args(args)
        .status()
        .expect("mount runs");
    assert!(status.success(), "mount {args:?} failed: {status}");
}
