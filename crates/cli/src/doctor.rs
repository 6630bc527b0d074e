//! `stateline doctor`: checks the installation — the OS keychain, the database, the vendor key,
//! Metrc, and every saved key's matrix — and says what to do about each problem. Without a vendor
//! key (or a keychain) Metrc and the keys cannot be checked: that is reported as a failed check,
//! not as an error that hides the other checks.
//!
//! Guarantees: read-only apart from recording key verdicts (audited as Stateline's own checks);
//! prints no key (whose key and the last four only); exit 0 only when every check passed.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use stateline_keys::validation::Verdict;
use stateline_store::Database;

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::keychain::{Environment, key_service};
use crate::{keys, output};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Base URL of the Metrc API (or the emulator).
    #[arg(long)]
    pub metrc_url: String,
    /// The Metrc environment of the keys to check.
    #[arg(long, value_enum, default_value = "production")]
    pub environment: Environment,
}

/// One line of the report.
#[derive(Debug, Serialize)]
struct Check {
    name: String,
    ok: bool,
    code: String,
    message: String,
}

impl Check {
    fn pass(name: &str, message: String) -> Self {
        Self {
            name: name.into(),
            ok: true,
            code: "ok".into(),
            message,
        }
    }

    fn fail(name: &str, code: &str, message: String) -> Self {
        Self {
            name: name.into(),
            ok: false,
            code: code.into(),
            message,
        }
    }
}

fn database_check(db: &Database) -> Check {
    match db.integrity_check().and_then(|()| db.schema_version()) {
        Ok(version) => {
            let waiting: u64 = db
                .counts(None)
                .map(|c| c.iter().map(|s| s.count).sum())
                .unwrap_or(0);
            Check::pass(
                "database",
                format!(
                    "{} is healthy (schema {version}, {waiting} record(s) not yet in Metrc)",
                    db.path().display()
                ),
            )
        }
        Err(e) => Check::fail("database", e.code(), e.to_string()),
    }
}

/// Whether Metrc at `url` answers: a probe key it does not know must get an answer (a refusal).
fn metrc_check(
    rt: &tokio::runtime::Runtime,
    client: &metrc::MetrcClient,
    url: &str,
) -> Result<Check, CliError> {
    let probe_key = metrc::UserKey::new("stateline-doctor-reachability-probe")
        .map_err(|e| CliError::Config(format!("internal: {e}")))?;
    Ok(match rt.block_on(client.facilities(&probe_key)) {
        Ok(_) => Check::pass("metrc", format!("{} answers", url)),
        Err(e) => match e.class() {
            metrc::ErrorClass::Unauthorized | metrc::ErrorClass::Forbidden => Check::pass(
                "metrc",
                format!("{} answers (and refuses an unknown key, as it should)", url),
            ),
            _ => Check::fail("metrc", e.code(), e.to_string()),
        },
    })
}

pub fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitCode, CliError> {
    let db = ctx.open_database()?;
    let rt = runtime()?;
    let vendor = keys::client_in(&args.metrc_url, Some(args.environment));
    let metrc_url = vendor.is_ok().then_some(args.metrc_url.as_str());
    let service = key_service(&db, args.environment, metrc_url)?;
    let mut checks = vec![database_check(&db)];
    checks.push(match rt.block_on(service.probe_keychain()) {
        Ok(()) => Check::pass("keychain", "the OS keychain can be written and read".into()),
        Err(e) => Check::fail("keychain", e.code(), e.to_string()),
    });
    match vendor {
        Ok(client) => {
            checks.push(Check::pass(
                "vendor key",
                "configured (environment variable or OS keychain)".into(),
            ));
            checks.push(metrc_check(&rt, &client, &args.metrc_url)?);
        }
        Err(e) => checks.push(Check::fail("vendor key", e.code(), e.to_string())),
    }
    let keys_checkable = checks
        .iter()
        .all(|c| (c.name != "keychain" && c.name != "vendor key") || c.ok);
    if keys_checkable {
        for (holder, result) in rt.block_on(service.check_all_saved())? {
            let name = format!("key of {holder}");
            checks.push(match result {
                Ok(v) if v.verdict == Verdict::AllGood => Check::pass(
                    &name,
                    format!("ends in {}: {}", v.last_four, v.verdict.message()),
                ),
                Ok(v) => Check::fail(
                    &name,
                    v.verdict.code(),
                    format!("ends in {}: {}", v.last_four, v.verdict.message()),
                ),
                Err(e) => Check::fail(&name, e.code(), e.to_string()),
            });
        }
    }
    let all_ok = checks.iter().all(|c| c.ok);
    if ctx.json {
        output::json_line(&serde_json::json!({ "ok": all_ok, "checks": checks }))?;
    } else {
        for c in &checks {
            output::line(&format!(
                "{} {:<22} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.name,
                c.message
            ))?;
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
