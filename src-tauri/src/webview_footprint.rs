//! WebKitGTK set up for a small idle footprint on Linux (SPEC section 9: the app idles under
//! 150 MB).
//!
//! WebKit's defaults suit a browser on a machine with a GPU; Stateline shows one local page of
//! forms and tables, often on tills without one (Xvfb here), where WebKit's GPU paths run in
//! software through Mesa's llvmpipe and keep large buffers. Five changes are known (each
//! measured in BENCHMARKS.md, "Desktop app"); `cache`, `painting` and `jit` are made unless told
//! otherwise:
//! - **cache**: cache model `DocumentViewer`: no memory cache of pages and resources, which one
//!   embedded page never needs. A setting of the web view's context, in setup.
//! - **painting**: `WEBKIT_SKIA_ENABLE_CPU_RENDERING=1`: Skia paints on the CPU instead of
//!   through GL, so the web process holds no GL painting state.
//! - **compositing** (only when asked): hardware-acceleration policy `Never`: no
//!   accelerated-compositing backing store. A setting of the main window's web view, in setup.
//! - **dmabuf** (only when asked): `WEBKIT_DISABLE_DMABUF_RENDERER=1`: frames reach the window
//!   through shared memory, not DMA-BUF buffers.
//! - **jit**: `JSC_useJIT=false`: JavaScriptCore runs the page in its interpreter, without JIT
//!   code or the JIT's memory (issue #15: about 37 MiB less RSS in the web process at idle, the
//!   receipt still painted within the budget; the desktop end-to-end suite runs with it).
//!
//! `compositing` and `dmabuf` save more but make WebKitWebDriver's window screenshots hang under
//! Xvfb (the desktop end-to-end suite), so they are not made by default.
//!
//! Not made: WebKitGTK's memory-pressure settings (2.34+). The web process's are a construct-only
//! property of the web context, which Tauri creates; the network process's
//! (`WebsiteDataManager::set_memory_pressure_settings`) must come after GTK is initialised and
//! before the web view exists, which only the builder could do — here, first in the process,
//! `MemoryPressureSettings::new` panics (GTK not initialised): tried, see BENCHMARKS.md.
//!
//! `painting`, `dmabuf` and `jit` are environment variables WebKit reads when its processes start. The
//! workspace forbids unsafe code, so [`prepare_process`] does not set them in the running
//! process: when one is missing it replaces the process (same id, same arguments) with the same
//! binary and the missing variables added, before anything else has started.
//!
//! Guarantees: `STATELINE_WEBKIT_FOOTPRINT` lists the changes to make (`cache`, `painting`,
//! `compositing`, `dmabuf`, `jit`, comma-separated; `all` for the five); `none` keeps all of WebKit's
//! defaults; unset or empty means `cache,painting,jit`; an unknown name is logged and ignored. A
//! WebKit variable the user has set, to any value, is left as it is. On other platforms, and
//! under Tauri's mock runtime, nothing changes. A failure is logged, never fatal: the window
//! still opens with WebKit's defaults.

use tauri::{Runtime, WebviewWindow};

/// The environment variable that lists the changes (`none` keeps WebKit's defaults).
pub const FOOTPRINT_ENV: &str = "STATELINE_WEBKIT_FOOTPRINT";
/// WebKit's switch to Skia's CPU painting (the `painting` change).
pub const CPU_PAINTING_ENV: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
/// WebKit's switch off its DMA-BUF renderer (the `dmabuf` change).
pub const NO_DMABUF_ENV: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
/// JavaScriptCore's JIT switch, read from the environment by each web process (the `jit` change
/// sets it to `false`).
pub const JIT_ENV: &str = "JSC_useJIT";

/// Which of WebKit's defaults are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Hardware-acceleration policy `Never` (no accelerated compositing).
    pub compositing_off: bool,
    /// Cache model `DocumentViewer` (no memory cache).
    pub document_viewer_cache: bool,
    /// [`CPU_PAINTING_ENV`] set.
    pub cpu_painting: bool,
    /// [`NO_DMABUF_ENV`] set.
    pub no_dmabuf: bool,
    /// [`JIT_ENV`] set to `false`.
    pub no_jit: bool,
}

impl Footprint {
    /// WebKit's defaults: no change.
    pub const NONE: Footprint = Footprint {
        compositing_off: false,
        document_viewer_cache: false,
        cpu_painting: false,
        no_dmabuf: false,
        no_jit: false,
    };
    /// The changes made when [`FOOTPRINT_ENV`] is unset: the cache model, CPU painting and no
    /// JavaScript JIT.
    pub const DEFAULT: Footprint = Footprint {
        document_viewer_cache: true,
        cpu_painting: true,
        no_jit: true,
        ..Self::NONE
    };
    /// Every change.
    pub const ALL: Footprint = Footprint {
        compositing_off: true,
        document_viewer_cache: true,
        cpu_painting: true,
        no_dmabuf: true,
        no_jit: true,
    };

    /// From the value of [`FOOTPRINT_ENV`] (`None` when unset); returns the names it did not
    /// know beside it.
    pub fn from_env_value(value: Option<&str>) -> (Self, Vec<String>) {
        let value = value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return (Self::DEFAULT, Vec::new());
        }
        let mut footprint = Self::NONE;
        let mut unknown = Vec::new();
        for name in value.split(',').map(str::trim) {
            match name.to_ascii_lowercase().as_str() {
                "" | "none" => {}
                "all" => footprint = Self::ALL,
                "compositing" => footprint.compositing_off = true,
                "cache" => footprint.document_viewer_cache = true,
                "painting" => footprint.cpu_painting = true,
                "dmabuf" => footprint.no_dmabuf = true,
                "jit" => footprint.no_jit = true,
                _ => unknown.push(name.to_owned()),
            }
        }
        (footprint, unknown)
    }

    /// From this process's environment; unknown names are logged.
    pub fn from_env() -> Self {
        let value = std::env::var(FOOTPRINT_ENV).ok();
        let (footprint, unknown) = Self::from_env_value(value.as_deref());
        for name in unknown {
            tracing::warn!(
                name,
                "{FOOTPRINT_ENV}: unknown change ignored \
                 (use none, all, cache, painting, compositing, dmabuf or jit)"
            );
        }
        footprint
    }

    /// The WebKit variables to add to an environment in which `is_set` says which are present:
    /// the ones this footprint wants that are not set at all.
    pub fn missing_env(self, is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
        [
            (self.cpu_painting, CPU_PAINTING_ENV, "1"),
            (self.no_dmabuf, NO_DMABUF_ENV, "1"),
            (self.no_jit, JIT_ENV, "false"),
        ]
        .into_iter()
        .filter(|&(wanted, name, _)| wanted && !is_set(name))
        .map(|(_, name, value)| (name, value))
        .collect()
    }
}

/// Call first in the process, before any thread or window: when a WebKit variable of
/// [`Footprint::from_env`] is missing, replaces this process with the same binary, arguments
/// and environment plus those variables (Linux only). Returns only when nothing was missing or
/// the replacement failed (logged; the app then starts with WebKit's defaults for them).
pub fn prepare_process() {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;

        let missing = Footprint::from_env().missing_env(|name| std::env::var_os(name).is_some());
        if missing.is_empty() {
            return;
        }
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(error) => {
                tracing::warn!(%error, "cannot find this binary to add WebKit's variables");
                return;
            }
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        let error = command.args(args).envs(missing).exec();
        tracing::warn!(%error, "could not restart with WebKit's variables: its defaults stay");
    }
}

/// Applies the web view settings of [`Footprint::from_env`] to `window` (Linux only).
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
    use super::{CPU_PAINTING_ENV, Footprint, JIT_ENV, NO_DMABUF_ENV};

    fn parse(value: Option<&str>) -> (Footprint, Vec<String>) {
        Footprint::from_env_value(value)
    }

    #[test]
    fn unset_or_empty_makes_the_default_changes() {
        for value in [None, Some(""), Some(" ")] {
            assert_eq!(parse(value), (Footprint::DEFAULT, vec![]), "{value:?}");
        }
        assert_eq!(
            parse(Some("cache,painting,jit")),
            (Footprint::DEFAULT, vec![])
        );
    }

    #[test]
    fn none_keeps_every_default_and_all_makes_every_change() {
        for value in ["none", "NONE", " none "] {
            assert_eq!(parse(Some(value)), (Footprint::NONE, vec![]), "{value}");
        }
        assert_eq!(parse(Some("all")), (Footprint::ALL, vec![]));
    }

    #[test]
    fn a_list_makes_only_the_named_changes() {
        let only = |f: fn(&mut Footprint)| {
            let mut footprint = Footprint::NONE;
            f(&mut footprint);
            footprint
        };
        assert_eq!(
            parse(Some("compositing")).0,
            only(|f| f.compositing_off = true)
        );
        assert_eq!(
            parse(Some("cache")).0,
            only(|f| f.document_viewer_cache = true)
        );
        assert_eq!(parse(Some("painting")).0, only(|f| f.cpu_painting = true));
        assert_eq!(parse(Some("dmabuf")).0, only(|f| f.no_dmabuf = true));
        assert_eq!(parse(Some("jit")).0, only(|f| f.no_jit = true));
        assert_eq!(
            parse(Some("cache, Compositing,painting,DMABUF,JIT")),
            (Footprint::ALL, vec![])
        );
    }

    #[test]
    fn unknown_names_are_returned_and_change_nothing() {
        let (footprint, unknown) = parse(Some("gpu,cache"));
        assert_eq!(
            footprint,
            Footprint {
                document_viewer_cache: true,
                ..Footprint::NONE
            }
        );
        assert_eq!(unknown, vec!["gpu".to_owned()]);
    }

    #[test]
    fn missing_env_adds_only_wanted_variables_the_user_has_not_set() {
        assert_eq!(
            Footprint::ALL.missing_env(|_| false),
            vec![
                (CPU_PAINTING_ENV, "1"),
                (NO_DMABUF_ENV, "1"),
                (JIT_ENV, "false")
            ]
        );
        assert_eq!(
            Footprint::ALL.missing_env(|name| name != CPU_PAINTING_ENV),
            vec![(CPU_PAINTING_ENV, "1")]
        );
        assert_eq!(
            Footprint::DEFAULT.missing_env(|_| false),
            vec![(CPU_PAINTING_ENV, "1"), (JIT_ENV, "false")]
        );
        assert!(Footprint::ALL.missing_env(|_| true).is_empty());
        assert!(Footprint::NONE.missing_env(|_| false).is_empty());
    }
}
