//! The keychain port's tests: the real OS keychain where one runs (gnome-keyring in CI).
//!
//! One test binary per crate; the shared harness is `stateline-testkit`.

mod keychain;
