//! A small parser for Metrc's Bruno reference files (`.bru`), for contract tests.
//!
//! Each file describes one endpoint: the HTTP method block (`get { url: {{baseUrl}}/… }`), the
//! `params:query` block, and an example `body:json`. [`load_all`] reads every file under a
//! directory into [`Endpoint`]s; [`Endpoint::matches_path`] and [`Endpoint::check`] compare a
//! request against one. Reusable by any crate's tests: `#[path = "…/bru/mod.rs"] mod bru;`.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One endpoint from a `.bru` file.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// File it came from, relative to the endpoints directory (e.g. `Sales/CreateReceipts.bru`).
    pub file: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template without host or query, e.g. `/sales/v2/receipts/{id}`.
    pub path: String,
    /// Query parameter names (disabled `~name` entries included).
    pub query: BTreeSet<String>,
    /// Body field names from the example JSON: keys of the top-level object (or of the objects of
    /// a top-level array); nested objects and arrays of objects add `Parent.Child` names.
    pub body_fields: BTreeSet<String>,
    /// The "Example Response:" JSON of the docs block, when it has one that parses.
    pub example_response: Option<serde_json::Value>,
}

/// Where `shared/metrc/reference/endpoints` sits: `shared/` beside the repository.
pub fn endpoints_dir() -> PathBuf {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/metrc/reference/endpoints");
    assert!(
        dir.is_dir(),
        "Metrc reference endpoints not found at {}: the contract tests need shared/metrc/reference/endpoints \
         checked out beside the repository (…/shared next to …/main)",
        dir.display()
    );
    dir
}

/// Parses every `.bru` file under `dir` (recursively). Panics with the file name on a file that
/// has no method block.
pub fn load_all(dir: &Path) -> Vec<Endpoint> {
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
            let rel = f
                .strip_prefix(dir)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/");
            parse(&rel, &text)
        })
        .collect()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "bru") {
            out.push(p);
        }
    }
}

const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// Splits a file into `(block name, lines)`; a block header is `name {` at column 0.
fn blocks(text: &str) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_end();
        let is_header = trimmed.ends_with(" {")
            && trimmed
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
            && !trimmed[..trimmed.len() - 2].contains(' ');
        if is_header {
            out.push((trimmed[..trimmed.len() - 2].to_owned(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line);
        }
    }
    for (_, lines) in &mut out {
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        if lines.last().is_some_and(|l| l.trim_end() == "}") {
            lines.pop();
        }
    }
    out
}

/// Parses one file; `None` for files without a method block (e.g. `bruno.json` collections).
pub fn parse(file: &str, text: &str) -> Option<Endpoint> {
    let blocks = blocks(text);
    let (method, lines) = blocks.iter().find(|(n, _)| METHODS.contains(&n.as_str()))?;
    let url = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("url:"))
        .unwrap_or_else(|| panic!("{file}: method block has no url"))
        .trim();
    let path = url
        .strip_prefix("{{baseUrl}}")
        .unwrap_or(url)
        .split('?')
        .next()
        .unwrap_or_default();
    let mut query = BTreeSet::new();
    if let Some((_, lines)) = blocks.iter().find(|(n, _)| n == "params:query") {
        for l in lines {
            if let Some((name, _)) = l.trim().split_once(':') {
                let name = name.trim().trim_start_matches('~');
                if !name.is_empty() {
                    query.insert(name.to_owned());
                }
            }
        }
    }
    let mut body_fields = BTreeSet::new();
    if let Some((_, lines)) = blocks.iter().find(|(n, _)| n == "body:json") {
        let json = lines.join("\n");
        if !json.trim().is_empty() {
            let v: serde_json::Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{file}: example body is not JSON: {e}"));
            field_names(&v, "", &mut body_fields);
        }
    }
    let example_response = blocks
        .iter()
        .find(|(n, _)| n == "docs")
        .and_then(|(_, lines)| {
            let at = lines.iter().position(|l| l.trim() == "Example Response:")?;
            serde_json::from_str(&lines[at + 1..].join("\n")).ok()
        });
    Some(Endpoint {
        example_response,
        file: file.to_owned(),
        method: method.to_ascii_uppercase(),
        path: normalize(path),
        query,
        body_fields,
    })
}

/// Field names of a JSON value, as described on [`Endpoint::body_fields`].
pub fn field_names(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Array(items) => {
            for item in items {
                field_names(item, prefix, out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(name.clone());
                field_names(child, &name, out);
            }
        }
        _ => {}
    }
}

fn normalize(path: &str) -> String {
    let p = path.trim();
    let p = p.strip_suffix('/').unwrap_or(p);
    if p.starts_with('/') {
        p.to_owned()
    } else {
        format!("/{p}")
    }
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

impl Endpoint {
    /// Whether a concrete path (or another template) fits this endpoint's template: same number
    /// of segments, literal segments equal (case-insensitive), `{param}` segments match anything
    /// non-empty.
    pub fn matches_path(&self, path: &str) -> bool {
        let mine: Vec<&str> = self.path.split('/').collect();
        let path = normalize(path.split('?').next().unwrap_or_default());
        let theirs: Vec<&str> = path.split('/').collect();
        mine.len() == theirs.len()
            && mine.iter().zip(&theirs).all(|(a, b)| {
                if is_param(b) {
                    is_param(a)
                } else {
                    is_param(a) || a.eq_ignore_ascii_case(b)
                }
            })
            && theirs.iter().skip(1).all(|s| !s.is_empty())
    }

    /// Checks a request against this endpoint; `Err` says what does not fit.
    pub fn check<'a>(
        &self,
        method: &str,
        path: &str,
        query: impl IntoIterator<Item = &'a str>,
        body_fields: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        if !self.method.eq_ignore_ascii_case(method) {
            return Err(format!(
                "{}: method {} is not {method}",
                self.file, self.method
            ));
        }
        if !self.matches_path(path) {
            return Err(format!(
                "{}: path {} does not fit {path}",
                self.file, self.path
            ));
        }
        let bad_q: Vec<&str> = query
            .into_iter()
            .filter(|q| !self.query.contains(*q))
            .collect();
        if !bad_q.is_empty() {
            return Err(format!(
                "{}: query {bad_q:?} not in {:?}",
                self.file, self.query
            ));
        }
        let bad_b: Vec<&str> = body_fields
            .into_iter()
            .filter(|f| !self.body_fields.contains(*f))
            .collect();
        if !bad_b.is_empty() {
            return Err(format!(
                "{}: body fields {bad_b:?} not in the example body",
                self.file
            ));
        }
        Ok(())
    }
}

/// Finds an endpoint that accepts the request, or explains why none does.
pub fn find_match<'e>(
    endpoints: &'e [Endpoint],
    method: &str,
    path: &str,
    query: &[&str],
    body_fields: &[&str],
) -> Result<&'e Endpoint, String> {
    let mut reasons = Vec::new();
    for e in endpoints
        .iter()
        .filter(|e| e.method.eq_ignore_ascii_case(method) && e.matches_path(path))
    {
        match e.check(
            method,
            path,
            query.iter().copied(),
            body_fields.iter().copied(),
        ) {
            Ok(()) => return Ok(e),
            Err(r) => reasons.push(r),
        }
    }
    if reasons.is_empty() {
        Err(format!(
            "{method} {path}: no .bru endpoint has this method and path"
        ))
    } else {
        Err(format!("{method} {path}: {}", reasons.join(" | ")))
    }
}
