//! WebKitGTK set up for a small idle footprint on Linux (SPEC section 9: the app idles under
//! 150 MB).
//!
//! WebKit's defaults suit a browser; Stateline shows one local page. Two settings are changed on
//! the main window's web view, once, in setup (measured in BENCHMARKS.md, "Desktop app"):
//! - **compositing**: hardware-acceleration policy `Never`. Without a GPU (Xvfb, many shop
//!   tills) accelerated compositing keeps a software backing store per layer in the web process;
//!   the page is plain forms and tables and draws without it.
//! - **cache**: cache model `DocumentViewer`: WebKit keeps no memory cache of pages and resources
//!   it could re-read, which a single embedded page never needs.
//!
//! Guarantees: `STATELINE_WEBKIT_DEFAULTS=1` (or `all`) keeps all of WebKit's defaults; a comma
//! list (`compositing`, `cache`) keeps only the named ones; an unknown name is logged and
//! ignored. On other platforms, and under Tauri's mock runtime, nothing changes. A failure is
//! logged, never fatal: the window still opens with WebKit's defaults.

use tauri::{Runtime, WebviewWindow};

/// The environment variable that keeps WebKit's defaults (`1`/`all`, or a comma list).
pub const WEBKIT_DEFAULTS_ENV: &str = "STATELINE_WEBKIT_DEFAULTS";

/// Which of WebKit's defaults are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Hardware-acceleration policy `Never` (no accelerated compositing).
    pub compositing_off: bool,
    /// Cache model `DocumentViewer` (no memory cache).
    pub document_viewer_cache: bool,
}

impl Footprint {
    /// From the value of [`WEBKIT_DEFAULTS_ENV`] (`None` when unset); returns the names it did
    /// not know beside it.
    pub fn from_env_value(value: Option<&str>) -> (Self, Vec<String>) {
        let mut footprint = Footprint {
            compositing_off: true,
            document_viewer_cache: true,
        };
        let mut unknown = Vec::new();
        for name in value.unwrap_or_default().split(',').map(str::trim) {
            match name.to_ascii_lowercase().as_str() {
                "" | "0" => {}
                "1" | "all" => {
                    footprint.compositing_off = false;
                    footprint.document_viewer_cache = false;
                }
                "compositing" => footprint.compositing_off = false,
                "cache" => footprint.document_viewer_cache = false,
                _ => unknown.push(name.to_owned()),
            }
        }
        (footprint, unknown)
    }

    /// From this process's environment; unknown names are logged.
    pub fn from_env() -> Self {
        let value = std::env::var(WEBKIT_DEFAULTS_ENV).ok();
        let (footprint, unknown) = Self::from_env_value(value.as_deref());
        for name in unknown {
            tracing::warn!(
                name,
                "{WEBKIT_DEFAULTS_ENV}: unknown setting ignored (use 1, all, compositing or cache)"
            );
        }
        footprint
    }
}

/// Applies [`Footprint::from_env`] to `window`'s web view (Linux only).
pub fn apply<R: Runtime>(window: &WebviewWindow<R>) {
    let footprint = Footprint::from_env();
    tracing::info!(?footprint, "web view footprint");
    apply_to(window, footprint);
}

#[cfg(target_os = "linux")]
fn apply_to<R: Runtime>(window: &WebviewWindow<R>, footprint: Footprint) {
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };

    let result = window.with_webview(move |platform| {
        let webview = platform.inner();
        if footprint.compositing_off {
            match WebViewExt::settings(&webview) {
                Some(settings) => {
                    settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never)
                }
                None => tracing::warn!("the web view has no settings: compositing left on"),
            }
        }
        if footprint.document_viewer_cache {
            match webview.context() {
                Some(context) => context.set_cache_model(CacheModel::DocumentViewer),
                None => tracing::warn!("the web view has no context: cache model left as is"),
            }
        }
    });
    if let Err(error) = result {
        tracing::warn!(%error, "could not reach the web view: WebKit's defaults stay");
    }
}

#[cfg(not(target_os = "linux"))]
fn apply_to<R: Runtime>(_window: &WebviewWindow<R>, _footprint: Footprint) {}

#[cfg(test)]
mod tests {
    use super::Footprint;

    const TUNED: Footprint = Footprint {
        compositing_off: true,
        document_viewer_cache: true,
    };
    const DEFAULTS: Footprint = Footprint {
        compositing_off: false,
        document_viewer_cache: false,
    };

    fn parse(value: Option<&str>) -> (Footprint, Vec<String>) {
        Footprint::from_env_value(value)
    }

    #[test]
    fn unset_empty_or_zero_tunes_both() {
        for value in [None, Some(""), Some("0"), Some(" ")] {
            assert_eq!(parse(value), (TUNED, vec![]), "{value:?}");
        }
    }

    #[test]
    fn one_or_all_keeps_every_default() {
        for value in ["1", "all", "ALL", " all "] {
            assert_eq!(parse(Some(value)), (DEFAULTS, vec![]), "{value}");
        }
    }

    #[test]
    fn a_list_keeps_only_the_named_defaults() {
        let compositing_kept = Footprint {
            compositing_off: false,
            ..TUNED
        };
        let cache_kept = Footprint {
            document_viewer_cache: false,
            ..TUNED
        };
        assert_eq!(parse(Some("compositing")), (compositing_kept, vec![]));
        assert_eq!(parse(Some("cache")), (cache_kept, vec![]));
        assert_eq!(parse(Some("cache, Compositing")), (DEFAULTS, vec![]));
    }

    #[test]
    fn unknown_names_are_returned_and_change_nothing() {
        assert_eq!(
            parse(Some("gpu,cache")),
            (
                Footprint {
                    document_viewer_cache: false,
                    ..TUNED
                },
                vec!["gpu".to_owned()]
            )
        );
    }
}
