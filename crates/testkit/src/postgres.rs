//! A private, throw-away PostgreSQL cluster for tests: its own folder and port, started as a
//! non-root user (`postgres` when the tests run as root, as in CI), password authentication on
//! loopback only, stopped when dropped. Nothing is assumed to be running on the machine; only
//! Debian's `postgresql` package (15 or newer) must be installed (`scripts/install-system-deps.sh`).
//!
//! Guarantees: the cluster listens on 127.0.0.1 and a socket in its own folder, on a port no other
//! process held when it started; its password is random per cluster; dropping the handle stops the
//! server (`pg_ctl stop -m immediate`) and removes the folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The login every test cluster creates.
pub const USER: &str = "stateline";

/// One running cluster.
#[derive(Debug)]
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    password: String,
    run_as: Option<&'static str>,
}

/// The newest PostgreSQL (15 or newer) under `/usr/lib/postgresql/<major>/bin`.
fn server_binaries() -> PathBuf {
    let mut majors: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (/usr/lib/postgresql); run scripts/install-system-deps.sh")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|major| *major >= 15)
        .collect();
    majors.sort_unstable();
    let major = majors.last().expect("PostgreSQL 15 or newer is installed");
    PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Cluster {
    /// How a register reaches database `database` of this cluster.
    pub fn server_config(&self, database: &str) -> stateline_link::ServerConfig {
        stateline_link::ServerConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            database: database.into(),
            user: USER.into(),
            password: secrecy::SecretString::from(self.password.clone()),
            connect_timeout: std::time::Duration::from_secs(5),
            tls: stateline_link::StoreTls::Off,
        }
    }

    /// Creates and starts a cluster (a few seconds).
    pub fn start() -> Cluster {
        let bin = server_binaries();
        let run_as = is_root().then_some("postgres");
        let dir = tempfile::Builder::new()
            .prefix("stateline-pg-")
            .tempdir()
            .expect("a folder for the cluster");
        let password = format!("pg-{:032x}", rand::random::<u128>());
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, &password).expect("password file");
        if let Some(user) = run_as {
            let status = Command::new("chown")
                .args(["-R", &format!("{user}:{user}")])
                .arg(dir.path())
                .status()
                .expect("chown runs");
            assert!(
                status.success(),
                "the cluster folder could be given to {user}"
            );
        }
        let cluster = Cluster {
            dir,
            bin,
            port: free_port(),
            password,
            run_as,
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                USER,
                "--auth=scram-sha-256",
                "--pwfile",
                path_str(&pwfile),
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        std::fs::remove_file(&pwfile).expect("the password file is removed");
        cluster.start_server();
        cluster
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let output = command.args(args).output().expect("a PostgreSQL tool runs");
        assert!(
            output.status.success(),
            "{program} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            path_str(self.dir.path())
        );
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&self.data_dir()),
                "-l",
                path_str(&log),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once (as a crash would) and starts it again on the same port.
    pub fn restart(&self) {
        self.stop_server("immediate");
        self.start_server();
    }

    fn stop_server(&self, mode: &str) {
        self.run(
            "pg_ctl",
            &["-D", path_str(&self.data_dir()), "-m", mode, "-w", "stop"],
        );
    }

    /// Turns TLS on with the server certificate `cert_pem` (its private key `key_pem`) and, from
    /// then on, refuses every TCP login that is not encrypted; restarts the server.
    pub fn require_tls(&self, cert_pem: &str, key_pem: &str) {
        let data = self.data_dir();
        let write = |name: &str, contents: &str| {
            let path = data.join(name);
            std::fs::write(&path, contents).expect("a file in the cluster folder");
            path
        };
        write("server.crt", cert_pem);
        let key = write("server.key", key_pem);
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .expect("the key is private");
        }
        write(
            "pg_hba.conf",
            "local all all scram-sha-256\n\
             hostssl all all 127.0.0.1/32 scram-sha-256\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        );
        let conf = data.join("postgresql.conf");
        let mut settings = std::fs::read_to_string(&conf).expect("postgresql.conf");
        settings
            .push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::write(&conf, settings).expect("postgresql.conf is written");
        if let Some(user) = self.run_as {
            let status = Command::new("chown")
                .args(["-R", &format!("{user}:{user}")])
                .arg(&data)
                .status()
                .expect("chown runs");
            assert!(
                status.success(),
                "the cluster files could be given to {user}"
            );
        }
        self.stop_server("fast");
        self.start_server();
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The password of [`USER`].
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Creates an empty database `name` owned by [`USER`].
    pub fn create_database(&self, name: &str) {
        let exe = self.bin.join("createdb");
        let output = Command::new(exe)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                name,
            ])
            .env("PGPASSWORD", &self.password)
            .output()
            .expect("createdb runs");
        assert!(
            output.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let exe = self.bin.join("pg_ctl");
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let _ = command
            .args(["-D", path_str(&data), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}
