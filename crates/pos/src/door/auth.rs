//! Who is calling the door: HTTP Basic as Metrc takes it (username = the vendor key slot,
//! password = a Metrc user key), and which Stateline user that key belongs to.
//!
//! Guarantees:
//! - a key already saved in Stateline (held by the key service) identifies its user, compared in
//!   constant time with every held key; the username is then not used; a disabled user's key
//!   gets `401`;
//! - a key not known yet is taken only when the username is the name of a Stateline user who has
//!   no key saved: it is checked with Metrc and saved in the OS keychain for that user, as a key
//!   pasted in the app (audited); a key Metrc refuses, an unknown name, or a user who already has
//!   another key gets Metrc's own `401` with an empty body, and nothing is saved;
//! - a new key that cannot be checked now (Metrc unreachable) is not saved: `503` saying so;
//! - the key stays in a redacting [`UserKey`]; it never reaches SQLite, a log line, an error or
//!   an answer.

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use metrc::UserKey;
use stateline_keys::KeyHolder;
use stateline_keys::validation::Verdict;
use stateline_tasks::StoreCall;

use super::answer::Refusal;
use crate::{MetrcLink, PosContext};

/// The budtender behind a call: their Stateline user name, the key they presented (for reading
/// Metrc on their behalf) and the register's way to Metrc.
pub(crate) struct Budtender {
    /// The Stateline user, as stored.
    pub user: String,
    /// The key presented.
    pub key: UserKey,
    /// The key service and client.
    pub link: MetrcLink,
}

/// The vendor-slot name and the user key of a Basic `Authorization` header.
fn basic(headers: &HeaderMap) -> Option<(String, UserKey)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, key) = text.split_once(':')?;
    let key = UserKey::new(key).ok()?;
    Some((name.trim().to_owned(), key))
}

/// Identifies the caller (see the module's guarantees).
pub(crate) async fn identify(ctx: &PosContext, headers: &HeaderMap) -> Result<Budtender, Refusal> {
    let Some((name, key)) = basic(headers) else {
        return Err(Refusal::Unauthorized);
    };
    let Some(link) = ctx.host.metrc_link() else {
        return Err(Refusal::Message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Stateline is not connected to Metrc yet (first-run setup, or switching environment); \
             finish the setup in Stateline and try again"
                .into(),
        ));
    };
    if let Some(holder) = link.keys.holder_of_presented(&key) {
        let user = ctx
            .db
            .call(move |db| db.user(&holder))
            .await?
            .filter(|u| !u.disabled)
            .ok_or(Refusal::Unauthorized)?;
        return Ok(Budtender {
            user: user.name,
            key,
            link,
        });
    }
    if name.is_empty() {
        return Err(Refusal::Unauthorized);
    }
    let lookup = name.clone();
    let Some(user) = ctx.db.call(move |db| db.user(&lookup)).await? else {
        return Err(Refusal::Unauthorized);
    };
    if user.disabled
        || link
            .keys
            .ring()
            .has_key(&KeyHolder::User(user.name.clone()))
    {
        return Err(Refusal::Unauthorized);
    }
    let saved = match link
        .keys
        .save_key_presented_at_door(&user.name, key.clone())
        .await
    {
        Ok(saved) => saved,
        Err(e) if matches!(e.code(), "not_allowed" | "user_disabled" | "invalid_input") => {
            return Err(Refusal::Unauthorized);
        }
        Err(e) => {
            tracing::warn!(
                code = e.code(),
                "a key presented at the door could not be saved"
            );
            return Err(Refusal::Message(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Stateline could not save this new key: {e}"),
            ));
        }
    };
    if saved.saved {
        tracing::info!(user = %user.name, "a new key presented at the door was saved");
        return Ok(Budtender {
            user: user.name,
            key,
            link,
        });
    }
    match saved.validation.verdict {
        Verdict::CouldNotCheck { reason } => Err(Refusal::Message(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "Stateline has not seen this key before and could not check it with Metrc now \
                 ({reason}); try again when Metrc can be reached, or paste the key in Stateline \
                 (Keys screen)"
            ),
        )),
        _ => Err(Refusal::Unauthorized),
    }
}
