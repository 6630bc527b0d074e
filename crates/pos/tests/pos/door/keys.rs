//! Who may call the door: Metrc's 401 (empty body) for no key, an unknown key, a key Metrc
//! refuses; a new key presented with a Stateline user's name is checked with Metrc and saved in
//! the keychain for that user — and never in the SQLite files.

use metrc::MetrcError;

use super::fixture::{DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY, Door, key};

const FACILITIES: &str = "/facilities/v2";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_or_refused_keys_get_metrcs_401_with_an_empty_body() {
    let door = Door::start().await;
    let saved = door.keychain.len();
    let get = reqwest::Method::GET;
    for auth in [
        None,
        Some(("Nobody", "some-key-nobody-has-0001")),
        Some(("", "some-key-nobody-has-0002")),
        // Bea is a user, but Metrc refuses this key: not saved.
        Some(("Bea", "a-key-metrc-refuses-0003")),
        // Max already has a key: another one presented at the door is not taken.
        Some(("Max", DEMO_BUDTENDER_KEY)),
    ] {
        let (status, body) = door.raw(get.clone(), FACILITIES, auth, None).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body, "", "Metrc's 401 has an empty body ({auth:?})");
    }
    assert_eq!(door.keychain.len(), saved, "no key was saved");
    let err = door
        .pos("Nobody")
        .facilities(&key("some-key-nobody-has-0004"))
        .await
        .unwrap_err();
    assert!(matches!(err, MetrcError::Unauthorized { .. }), "{err:?}");
    // A write with a bad key writes nothing.
    let (label, unit) = door.package().await;
    let err = door
        .pos("Nobody")
        .create_receipts(
            &key("some-key-nobody-has-0005"),
            door.licence(),
            &[door.receipt("POS-9", &label, &unit, 1.0)],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MetrcError::Unauthorized { .. }), "{err:?}");
    assert_eq!(door.sales(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_key_with_a_user_name_is_saved_in_the_keychain_and_never_in_sqlite() {
    let door = Door::start().await;
    let saved = door.keychain.len();
    let bea = door.pos("Bea");
    let facilities = bea
        .facilities(&key(DEMO_BUDTENDER_KEY))
        .await
        .expect("Metrc accepted Bea's key, so the door took it");
    assert!(
        facilities
            .iter()
            .any(|f| f.license.number == door.licence())
    );
    assert_eq!(
        door.keychain.len(),
        saved + 1,
        "the key went to the keychain"
    );

    // From now on the key alone says it is Bea, whatever the vendor slot holds.
    let (label, unit) = door.package().await;
    let outcome = door
        .pos("acme-pos-vendor-key")
        .create_receipts(
            &key(DEMO_BUDTENDER_KEY),
            door.licence(),
            &[door.receipt("POS-BEA-1", &label, &unit, 1.0)],
        )
        .await
        .expect("Bea sells through the door");
    let entry = door.app.database().entry(outcome.ids[0]).unwrap();
    assert_eq!(entry.acting_user, "Bea");
    // Max's saved key still says Max.
    let outcome = door
        .pos("whatever")
        .create_receipts(
            &key(DEMO_MANAGER_KEY),
            door.licence(),
            &[door.receipt("POS-MAX-1", &label, &unit, 1.0)],
        )
        .await
        .unwrap();
    assert_eq!(
        door.app
            .database()
            .entry(outcome.ids[0])
            .unwrap()
            .acting_user,
        "Max"
    );

    // No key in any file of the data folder (the database, its WAL and shared memory, …).
    for file in std::fs::read_dir(door.dir()).unwrap() {
        let path = file.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for secret in [DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in {}",
                path.display()
            );
        }
    }
    // The key change is audited, naming whose and the last four only.
    let audited = door.count(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'key_set' AND detail LIKE '%Metrc-compatible door%'",
    );
    assert_eq!(audited, 1);
}
