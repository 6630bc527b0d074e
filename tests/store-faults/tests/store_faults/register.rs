//! One register process of the suite: its data folder (kept across restarts), its two proxies
//! (to the store server and to Metrc), and what it printed (`stateline_store_fault_tests::lines`),
//! read by a thread as it comes.
//!
//! Guarantees: only whole lines count (a line cut off by a kill was never acknowledged); the
//! acknowledged sales of every run of the register accumulate; a process is always reaped (a
//! kill waits for it, a clean stop waits for it to exit and insists it exited successfully);
//! signals go to this register's process only, by its id.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stateline_store_fault_tests::lines::{Ack, Line};
use stateline_store_fault_tests::proxy::Proxy;

const BINARY: &str = env!("CARGO_BIN_EXE_stateline-store-register");

/// What a register is.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Its name in the store.
    pub name: String,
    /// Whose Metrc keys it holds.
    pub holds: Vec<&'static str>,
    /// How wrong its clock is, in seconds.
    pub skew_secs: i64,
    /// Sales its plan makes.
    pub sales: u64,
    /// The pause between two of them.
    pub interval_ms: u64,
}

/// What the register printed.
#[derive(Debug, Default)]
pub struct Output {
    /// Its register id (from `READY`; the same after a restart).
    pub register_id: Option<String>,
    /// Whether the current run is ready.
    pub ready: bool,
    /// Every sale acknowledged by any run.
    pub acks: Vec<Ack>,
    /// Every refusal, as printed.
    pub refused: Vec<String>,
    /// Whether the current run finished its plan.
    pub planned: bool,
    /// Whether the current run stopped cleanly.
    pub stopped: bool,
}

/// How every register of the store is started.
#[derive(Debug, Clone)]
pub struct Launch {
    pub database: String,
    pub user: String,
    pub password: String,
    pub labels: Vec<String>,
    pub seed: u64,
    pub lease_ms: u64,
    pub grace_ms: u64,
    pub margin_ms: u64,
    pub request_timeout_ms: u64,
}

/// One register and its process, if running.
#[derive(Debug)]
pub struct Till {
    pub spec: Spec,
    pub dir: tempfile::TempDir,
    pub store_proxy: Proxy,
    pub metrc_proxy: Proxy,
    pub output: Arc<Mutex<Output>>,
    child: Option<Child>,
    commands: Option<ChildStdin>,
    runs: u64,
}

impl Till {
    /// A register not yet started.
    pub fn new(spec: Spec, store_proxy: Proxy, metrc_proxy: Proxy) -> Till {
        Till {
            spec,
            dir: tempfile::Builder::new()
                .prefix("stateline-register-")
                .disable_cleanup(std::env::var_os("STATELINE_STORE_FAULT_KEEP").is_some())
                .tempdir()
                .expect("a data folder"),
            store_proxy,
            metrc_proxy,
            output: Arc::default(),
            child: None,
            commands: None,
            runs: 0,
        }
    }

    /// The register's SQLite database.
    pub fn database_path(&self) -> PathBuf {
        self.dir.path().join("stateline.sqlite")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("register.log")
    }

    /// Starts the register's process (again, on the same data folder, after a kill).
    pub fn start(&mut self, launch: &Launch) {
        assert!(
            self.child.is_none(),
            "{} is already running",
            self.spec.name
        );
        {
            let mut out = self.output.lock().expect("output");
            out.ready = false;
            out.planned = false;
            out.stopped = false;
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("a log file");
        let mut command = Command::new(BINARY);
        command
            .arg("--data")
            .arg(self.dir.path())
            .args(["--name", &self.spec.name])
            .args(["--pg-port", &self.store_proxy.port().to_string()])
            .args(["--pg-database", &launch.database])
            .args(["--pg-user", &launch.user])
            .args([
                "--metrc",
                &format!("http://127.0.0.1:{}", self.metrc_proxy.port()),
            ])
            .args(["--skew-secs", &self.spec.skew_secs.to_string()])
            .args(["--sales", &self.spec.sales.to_string()])
            .args(["--labels", &launch.labels.join(",")])
            .args(["--interval-ms", &self.spec.interval_ms.to_string()])
            .args(["--lease-ms", &launch.lease_ms.to_string()])
            .args(["--grace-ms", &launch.grace_ms.to_string()])
            .args(["--margin-ms", &launch.margin_ms.to_string()])
            .args([
                "--request-timeout-ms",
                &launch.request_timeout_ms.to_string(),
            ])
            .args(["--seed", &(launch.seed ^ self.runs).to_string()])
            .env("STATELINE_STORE_PASSWORD", &launch.password)
            .env("STATELINE_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        for user in &self.spec.holds {
            command.args(["--holds-key", user]);
        }
        let mut child = command.spawn().expect("the register starts");
        self.runs += 1;
        self.commands = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let output = self.output.clone();
        std::thread::spawn(move || read_lines(stdout, output));
        self.child = Some(child);
    }

    /// Starts the running process's sale plan.
    pub fn go(&mut self) {
        self.command("GO");
    }

    /// Writes one command line to the running process's stdin (`GO`, `KEY <user> <key>`).
    pub fn command(&mut self, line: &str) {
        let stdin = self.commands.as_mut().expect("running");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .expect("the register reads its stdin");
    }

    /// The running process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`) to the register's process.
    pub fn signal(&self, signal: &str) {
        assert!(
            send_signal(self.pid(), signal),
            "kill -{signal} {}",
            self.spec.name
        );
    }

    /// SIGKILLs the process and reaps it.
    pub fn kill(&mut self) {
        self.commands = None;
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    /// Stops the process with SIGTERM and waits for it to exit successfully.
    pub async fn stop(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        self.commands = None;
        send_signal(child.id(), "TERM");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!(
                        "{} exited with {status} on SIGTERM",
                        self.spec.name
                    ))
                };
            }
            if started.elapsed() > crate::wait::PATIENCE {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} did not stop on SIGTERM", self.spec.name));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the current run is ready.
    pub fn ready(&self) -> bool {
        self.output.lock().expect("output").ready
    }

    /// Whether the current run finished its plan.
    pub fn planned(&self) -> bool {
        self.output.lock().expect("output").planned
    }

    /// Sales acknowledged so far.
    pub fn acked(&self) -> usize {
        self.output.lock().expect("output").acks.len()
    }

    /// The register id it reported.
    pub fn register_id(&self) -> Option<String> {
        self.output.lock().expect("output").register_id.clone()
    }

    /// The end of its log, for a failure's message.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Till {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends `signal` to process `pid` with the shell's own `kill` (no procps needed); whether it
/// was delivered.
fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .status()
        .is_ok_and(|s| s.success())
}

fn read_lines(stdout: std::process::ChildStdout, output: Arc<Mutex<Output>>) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if !line.ends_with('\n') => return,
            Ok(_) => {}
        }
        let mut out = output.lock().expect("output");
        match Line::parse(line.trim_end()) {
            Some(Line::Ready(id)) => {
                out.register_id = Some(id);
                out.ready = true;
            }
            Some(Line::Ack(ack)) => out.acks.push(ack),
            Some(Line::Refused { .. }) => out.refused.push(line.trim_end().to_owned()),
            Some(Line::Planned) => out.planned = true,
            Some(Line::Stopped) => out.stopped = true,
            None => {}
        }
    }
}
