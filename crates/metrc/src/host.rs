//! Metrc hosts: which base URL serves a state, in production or in the sandbox.
//!
//! Guarantees: the state code is exactly two ASCII letters (any case, sent lower-case), and the
//! result is always an `https` URL of the form `https://api-<st>.metrc.com` or
//! `https://sandbox-api-<st>.metrc.com`.

use url::Url;

use crate::error::MetrcError;

/// Which Metrc system a register talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// The state's live track-and-trace system.
    Production,
    /// Metrc's sandbox for integrators.
    Sandbox,
}

/// The base URL of Metrc for a two-letter state code (`"co"`, `"MA"`, …) and environment.
pub fn metrc_host(state: &str, env: Environment) -> Result<Url, MetrcError> {
    let st = state.trim();
    if st.len() != 2 || !st.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(MetrcError::InvalidInput {
            message: format!(
                "'{}' is not a state code. Use the two-letter code of the Metrc state, for example CO or MA.",
                st.chars().take(8).collect::<String>()
            ),
        });
    }
    let st = st.to_ascii_lowercase();
    let prefix = match env {
        Environment::Production => "api",
        Environment::Sandbox => "sandbox-api",
    };
    Url::parse(&format!("https://{prefix}-{st}.metrc.com")).map_err(|_| MetrcError::InvalidInput {
        message:
            "The state code does not form a valid Metrc address. Use a two-letter code such as CO."
                .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_hosts() {
        assert_eq!(
            metrc_host("co", Environment::Production).unwrap().as_str(),
            "https://api-co.metrc.com/"
        );
        assert_eq!(
            metrc_host("MA", Environment::Sandbox).unwrap().as_str(),
            "https://sandbox-api-ma.metrc.com/"
        );
    }

    #[test]
    fn rejects_bad_states() {
        for bad in ["", "c", "col", "c1", "c.", "é1", "c/"] {
            let err = metrc_host(bad, Environment::Production).unwrap_err();
            assert!(matches!(err, MetrcError::InvalidInput { .. }), "{bad:?}");
            assert!(err.to_string().contains("two-letter"));
        }
    }
}
