//! Tests of the [`Secrets`] handle over the in-memory store: round trips, caching, precedence of
//! the vendor key, failures, and that nothing prints a key.

use std::sync::Arc;
use std::time::Duration;

use metrc::{UserKey, VendorKey};
use secrecy::SecretString;

use super::*;

const KEY_A: &str = "AAAAuserKeyOneAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAq1w2";
const KEY_B: &str = "BBBBuserKeyTwoBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBz9x8";
const VENDOR_KC: &str = "VVVVvendorFromKeychainVVVVVVVVVVVVVVVVVVVVVVVk3y4";
const VENDOR_ENV: &str = "EEEEvendorFromInstallerEEEEEEEEEEEEEEEEEEEEEEi5n6";

fn user_entry() -> EntryId {
    EntryId::user("sandbox", "jdoe").unwrap()
}

fn vendor_entry() -> EntryId {
    EntryId::vendor("sandbox").unwrap()
}

fn setup(env_vendor: Option<&str>) -> (Arc<MemoryStore>, Secrets) {
    let store = Arc::new(MemoryStore::new());
    let secrets = Secrets::with_installer_vendor_key(store.clone(), env_vendor.map(str::to_string));
    (store, secrets)
}

#[tokio::test]
async fn set_read_replace_clear() {
    let (store, secrets) = setup(None);
    let e = user_entry();
    assert_eq!(
        secrets.user_key(&e).await.unwrap_err().code(),
        "key_not_found"
    );

    let meta = secrets
        .set_user_key(&e, &UserKey::new(KEY_A).unwrap())
        .await
        .unwrap();
    assert_eq!(
        meta,
        KeyMetadata {
            entry: "metrc-user:sandbox:jdoe".into(),
            last_four: "q1w2".into()
        }
    );
    assert_eq!(
        secrets.user_key(&e).await.unwrap().expose_for_keychain(),
        KEY_A
    );

    let meta = secrets
        .set_user_key(&e, &UserKey::new(KEY_B).unwrap())
        .await
        .unwrap();
    assert_eq!(meta.last_four, "z9x8");
    assert_eq!(
        secrets.user_key(&e).await.unwrap().expose_for_keychain(),
        KEY_B
    );
    assert_eq!(store.len(), 1);

    secrets.clear_user_key(&e).await.unwrap();
    assert_eq!(
        secrets.user_key(&e).await.unwrap_err().code(),
        "key_not_found"
    );
    assert!(store.is_empty());
    // Clearing again is not an error.
    secrets.clear_user_key(&e).await.unwrap();
}

#[tokio::test]
async fn reads_are_cached_and_invalidated_by_set_and_clear() {
    let (store, secrets) = setup(None);
    let e = user_entry();
    secrets
        .set_user_key(&e, &UserKey::new(KEY_A).unwrap())
        .await
        .unwrap();
    let before = store.reads();
    for _ in 0..5 {
        assert_eq!(
            secrets.user_key(&e).await.unwrap().expose_for_keychain(),
            KEY_A
        );
    }
    assert_eq!(
        store.reads(),
        before + 1,
        "only the first read reaches the keychain"
    );

    // A clone shares the cache.
    let clone = secrets.clone();
    clone.user_key(&e).await.unwrap();
    assert_eq!(store.reads(), before + 1);

    // Rotation through one handle is seen through the other: the cache was invalidated.
    clone
        .set_user_key(&e, &UserKey::new(KEY_B).unwrap())
        .await
        .unwrap();
    assert_eq!(
        secrets.user_key(&e).await.unwrap().expose_for_keychain(),
        KEY_B
    );
    assert_eq!(store.reads(), before + 2);

    secrets.clear_user_key(&e).await.unwrap();
    assert_eq!(
        clone.user_key(&e).await.unwrap_err().code(),
        "key_not_found"
    );

    // forget_cached makes the next read ask the keychain again.
    secrets
        .set_user_key(&e, &UserKey::new(KEY_A).unwrap())
        .await
        .unwrap();
    secrets.user_key(&e).await.unwrap();
    let n = store.reads();
    secrets.forget_cached(&e);
    secrets.user_key(&e).await.unwrap();
    assert_eq!(store.reads(), n + 1);
    secrets.forget_all_cached();
    secrets.user_key(&e).await.unwrap();
    assert_eq!(store.reads(), n + 2);
}

#[tokio::test]
async fn locked_and_unavailable_keychains_fail_clearly_and_change_nothing() {
    for (state, code) in [
        (MemoryState::Locked, "keychain_locked"),
        (MemoryState::Unavailable, "keychain_unavailable"),
    ] {
        let (store, secrets) = setup(None);
        let e = user_entry();
        let other = EntryId::user("sandbox", "asmith").unwrap();
        secrets
            .set_user_key(&e, &UserKey::new(KEY_A).unwrap())
            .await
            .unwrap();
        store.set_state(state);

        assert_eq!(secrets.probe().await.unwrap_err().code(), code);
        let err = secrets
            .set_user_key(&e, &UserKey::new(KEY_B).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
        assert!(err.is_keychain_down());
        assert_eq!(
            secrets
                .set_user_key(&other, &UserKey::new(KEY_B).unwrap())
                .await
                .unwrap_err()
                .code(),
            code
        );
        assert_eq!(secrets.clear_user_key(&e).await.unwrap_err().code(), code);
        // Not read before: the keychain's error.
        assert_eq!(secrets.user_key(&other).await.unwrap_err().code(), code);

        store.set_state(MemoryState::Available);
        assert_eq!(store.len(), 1, "nothing was written while {state:?}");
        secrets.forget_all_cached();
        assert_eq!(
            secrets.user_key(&e).await.unwrap().expose_for_keychain(),
            KEY_A
        );
        assert_eq!(
            secrets.user_key(&other).await.unwrap_err().code(),
            "key_not_found"
        );
        secrets.probe().await.unwrap();
    }
}

#[tokio::test]
async fn a_cached_key_keeps_working_while_the_keychain_is_locked() {
    let (store, secrets) = setup(None);
    let e = user_entry();
    secrets
        .set_user_key(&e, &UserKey::new(KEY_A).unwrap())
        .await
        .unwrap();
    secrets.user_key(&e).await.unwrap();
    store.set_state(MemoryState::Locked);
    assert_eq!(
        secrets.user_key(&e).await.unwrap().expose_for_keychain(),
        KEY_A
    );
    // A failed rotation leaves the key the keychain still holds in the cache.
    secrets
        .set_user_key(&e, &UserKey::new(KEY_B).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        secrets.user_key(&e).await.unwrap().expose_for_keychain(),
        KEY_A
    );
}

#[tokio::test]
async fn vendor_key_prefers_the_keychain_then_the_installer() {
    let (store, secrets) = setup(Some(VENDOR_ENV));
    let v = vendor_entry();
    let (key, source) = secrets.vendor_key_with_source(&v).await.unwrap();
    assert_eq!(
        (key.expose_for_keychain(), source),
        (VENDOR_ENV, VendorKeySource::Environment)
    );

    let meta = secrets
        .set_vendor_key(&v, &VendorKey::new(VENDOR_KC).unwrap())
        .await
        .unwrap();
    assert_eq!(meta.entry, "metrc-vendor:sandbox");
    assert_eq!(meta.last_four, "k3y4");
    let (key, source) = secrets.vendor_key_with_source(&v).await.unwrap();
    assert_eq!(
        (key.expose_for_keychain(), source),
        (VENDOR_KC, VendorKeySource::Keychain)
    );

    // Keychain down and nothing cached: the installer's key keeps delivery going.
    secrets.forget_all_cached();
    store.set_state(MemoryState::Unavailable);
    let (_, source) = secrets.vendor_key_with_source(&v).await.unwrap();
    assert_eq!(source, VendorKeySource::Environment);
    store.set_state(MemoryState::Available);

    secrets.clear_vendor_key(&v).await.unwrap();
    assert_eq!(
        secrets.vendor_key(&v).await.unwrap().expose_for_keychain(),
        VENDOR_ENV
    );
}

#[tokio::test]
async fn vendor_key_missing_or_malformed() {
    let (_, secrets) = setup(None);
    let v = vendor_entry();
    assert_eq!(
        secrets.vendor_key(&v).await.unwrap_err().code(),
        "key_not_found"
    );

    let (store, secrets) = setup(Some("has spaces SECRETPART"));
    let err = secrets.vendor_key(&v).await.unwrap_err();
    assert_eq!(err.code(), "invalid_key");
    let shown = format!("{err} {err:?} {secrets:?}");
    assert!(shown.contains(VENDOR_KEY_ENV), "{shown}");
    assert!(!shown.contains("SECRETPART"), "{shown}");

    // Locked keychain and a malformed installer key: the installer's problem is reported.
    store.set_state(MemoryState::Locked);
    assert_eq!(
        secrets.vendor_key(&v).await.unwrap_err().code(),
        "invalid_key"
    );

    // An empty variable is the same as none.
    let (_, secrets) = setup(Some(""));
    assert_eq!(
        secrets.vendor_key(&v).await.unwrap_err().code(),
        "key_not_found"
    );
}

#[tokio::test]
async fn a_corrupt_stored_value_is_an_invalid_key_without_echo() {
    let (store, secrets) = setup(None);
    let e = user_entry();
    store
        .set(&e, &SecretString::from("not a key CORRUPTVALUE"))
        .unwrap();
    let err = secrets.user_key(&e).await.unwrap_err();
    assert_eq!(err.code(), "invalid_key");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("metrc-user:sandbox:jdoe"), "{shown}");
    assert!(!shown.contains("CORRUPTVALUE"), "{shown}");
}

#[tokio::test]
async fn wrong_entry_kind_is_refused() {
    let (store, secrets) = setup(None);
    let err = secrets
        .set_user_key(&vendor_entry(), &UserKey::new(KEY_A).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_entry");
    assert_eq!(
        secrets.vendor_key(&user_entry()).await.unwrap_err().code(),
        "invalid_entry"
    );
    assert_eq!(
        secrets
            .user_key(&EntryId::probe())
            .await
            .unwrap_err()
            .code(),
        "invalid_entry"
    );
    assert!(store.is_empty());
}

/// A store whose calls never finish in time, like a keychain waiting on an unlock dialog.
#[derive(Debug)]
struct Stuck;

impl SecretStore for Stuck {
    fn get(&self, _: &EntryId) -> Result<SecretString, SecretStoreError> {
        std::thread::sleep(Duration::from_millis(500));
        Err(SecretStoreError::Failed {
            detail: "late".into(),
        })
    }
    fn set(&self, _: &EntryId, _: &SecretString) -> Result<(), SecretStoreError> {
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    }
    fn delete(&self, _: &EntryId) -> Result<(), SecretStoreError> {
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    }
    fn probe(&self) -> Result<(), SecretStoreError> {
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    }
}

#[tokio::test]
async fn a_stuck_keychain_times_out() {
    let secrets = Secrets::with_installer_vendor_key(Arc::new(Stuck), None)
        .with_timeout(Duration::from_millis(20));
    let err = secrets.user_key(&user_entry()).await.unwrap_err();
    assert_eq!(err.code(), "keychain_timeout");
    assert!(err.to_string().contains("unlock"), "{err}");
    assert_eq!(
        secrets.probe().await.unwrap_err().code(),
        "keychain_timeout"
    );
}

/// Debug and Display of every public type of the module, filled with keys, show none of them.
#[tokio::test]
async fn nothing_prints_a_key() {
    let secret_parts = [
        "userKeyOne",
        "userKeyTwo",
        "vendorFromKeychain",
        "vendorFromInstaller",
    ];
    let (store, secrets) = setup(Some(VENDOR_ENV));
    let e = user_entry();
    let v = vendor_entry();
    let ka = UserKey::new(KEY_A).unwrap();
    let meta = secrets.set_user_key(&e, &ka).await.unwrap();
    let vmeta = secrets
        .set_vendor_key(&v, &VendorKey::new(VENDOR_KC).unwrap())
        .await
        .unwrap();
    let read = secrets.user_key(&e).await.unwrap();
    let (vk, source) = secrets.vendor_key_with_source(&v).await.unwrap();
    store
        .set(&EntryId::probe(), &SecretString::from(KEY_B))
        .unwrap();
    let keychain = KeychainStore::new();
    let secret_string = SecretString::from(KEY_B);

    let mut shown = vec![
        format!("{e} {e:?} {v} {v:?} {:?}", e.kind()),
        format!(
            "{meta:?} {vmeta:?} {}",
            serde_json::to_string(&meta).unwrap()
        ),
        format!("{read} {read:?} {vk} {vk:?} {source:?} {secret_string:?}"),
        format!("{store:?} {store:#?}"),
        format!("{secrets:?} {secrets:#?}"),
        format!("{keychain:?} {:?}", MemoryState::Locked),
    ];
    let d = || KEY_A.to_string();
    let errors = [
        SecretStoreError::Unavailable {
            detail: "no bus".into(),
        },
        SecretStoreError::Locked {
            detail: "prompt dismissed".into(),
        },
        SecretStoreError::Timeout { seconds: 60 },
        SecretStoreError::NotFound {
            entry: e.to_string(),
        },
        SecretStoreError::InvalidKey {
            entry: e.to_string(),
            reason: "bad".into(),
        },
        SecretStoreError::InvalidEntry {
            reason: "bad".into(),
        },
        SecretStoreError::Duplicate {
            entry: e.to_string(),
            count: 2,
        },
        // A platform that echoed the key: scrubbing removes it.
        SecretStoreError::Failed { detail: d() }.scrubbed(KEY_A),
        SecretStoreError::Locked { detail: d() }.scrubbed(KEY_A),
        SecretStoreError::Unavailable { detail: d() }.scrubbed(KEY_A),
        SecretStoreError::InvalidKey {
            entry: e.to_string(),
            reason: d(),
        }
        .scrubbed(KEY_A),
    ];
    for err in &errors {
        shown.push(format!("{err} {err:?} {}", err.code()));
    }
    for s in &shown {
        for part in secret_parts {
            assert!(!s.contains(part), "{part} leaked in {s}");
        }
    }
}
