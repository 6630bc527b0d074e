//! Build script: makes sure a front end exists to embed, then runs Tauri's build step
//! (config, capabilities, icons, Windows resources).
//!
//! `tauri::generate_context!` refuses to compile when `frontendDist` (`../ui/dist`) is missing, which
//! would break `cargo check --workspace` for anyone who has not built the UI. In that case this
//! writes a one-page stand-in that says how to build the real UI; `npm run build` replaces it.

use std::fs;
use std::path::Path;

const STAND_IN: &str = r#"<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>Stateline</title></head>
  <body>
    <h1 id="ui-not-built">Stateline</h1>
    <p>The user interface has not been built. Run <code>npm ci &amp;&amp; npm run build</code> in
    <code>ui/</code>, or <code>bash scripts/app.sh</code>, then rebuild the app.</p>
  </body>
</html>
"#;

fn main() {
    let dist = Path::new("../ui/dist");
    let index = dist.join("index.html");
    if !index.exists() {
        fs::create_dir_all(dist).expect("create ../ui/dist");
        fs::write(&index, STAND_IN).expect("write ../ui/dist/index.html");
        println!("cargo:warning=ui/dist was missing: embedded a stand-in page; build the UI first");
    }
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build();
}
