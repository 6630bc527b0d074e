//! The HTTP layer: request building, Basic auth, sending, paging and the v2 envelope.
//!
//! Guarantees:
//! - One `reqwest::Client` (rustls, no redirects, no retries, connect and request timeouts).
//! - Every request carries Basic auth `vendor key : user key`; keys go nowhere else, and any echo
//!   of them in a reply is scrubbed from errors.
//! - Nothing is ever retried here: each call is exactly one HTTP request per page.
//! - Tracing at debug level records method, path, status and duration only (no query, no keys).
//! - Any reply that cannot be decoded is [`MetrcError::Ambiguous`] (reads and writes alike); the
//!   decoding itself is [`crate::reply`], the same for every endpoint.

use std::time::Instant;

use reqwest::{Method, StatusCode, header};
use serde::{Serialize, de::DeserializeOwned};
use url::Url;

use crate::client::ClientConfig;
use crate::error::MetrcError;
use crate::keys::{UserKey, VendorKey};
use crate::models::WriteOutcome;
use crate::reply;

/// Largest page size Metrc accepts.
pub const MAX_PAGE_SIZE: u32 = 20;
/// Largest reply body read; more is treated as a broken reply.
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Upper bound on pages followed in one list call, against a server that never stops.
const MAX_PAGES: u32 = 100_000;

/// A query parameter list.
pub(crate) type Query = Vec<(&'static str, String)>;

/// Shared transport state behind a `MetrcClient`.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    base: Url,
    vendor: VendorKey,
    page_size: u32,
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Http {
    pub(crate) fn new(config: ClientConfig) -> Result<Self, MetrcError> {
        let base = config.base_url;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(MetrcError::invalid(
                "The Metrc address must not contain a user name or password. Remove them; keys are configured separately.",
            ));
        }
        if base.query().is_some() || base.cannot_be_a_base() {
            return Err(MetrcError::invalid(
                "The Metrc address must be a plain address such as https://api-co.metrc.com.",
            ));
        }
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            _ => {
                return Err(MetrcError::invalid(
                    "The Metrc address must start with https:// (plain http is allowed only for a local emulator).",
                ));
            }
        }
        if config.page_size == 0 || config.page_size > MAX_PAGE_SIZE {
            return Err(MetrcError::invalid(format!(
                "The Metrc page size must be between 1 and {MAX_PAGE_SIZE}; it is {}.",
                config.page_size
            )));
        }
        if config.request_timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(MetrcError::invalid(
                "The Metrc timeouts must be longer than zero.",
            ));
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("stateline-metrc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| {
                MetrcError::invalid("The HTTP client could not be set up (TLS). Reinstall the app.")
            })?;
        Ok(Self {
            client,
            base,
            vendor: config.vendor_key,
            page_size: config.page_size,
        })
    }

    pub(crate) fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Base URL plus percent-encoded path segments plus query.
    pub(crate) fn url(&self, segments: &[&str], query: &Query) -> Result<Url, MetrcError> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| MetrcError::invalid("The Metrc address cannot take a path."))?;
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    fn secrets<'k>(&'k self, key: &'k UserKey) -> [&'k str; 2] {
        [self.vendor.expose_for_keychain(), key.expose_for_keychain()]
    }

    /// Sends one request and returns the status and body of a 2xx reply.
    async fn send(
        &self,
        key: &UserKey,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Vec<u8>), MetrcError> {
        let path = url.path().to_owned();
        let started = Instant::now();
        let mut req = self
            .client
            .request(method.clone(), url)
            .basic_auth(
                self.vendor.expose_for_keychain(),
                Some(key.expose_for_keychain()),
            )
            .header(header::ACCEPT, "application/json");
        if let Some(b) = body {
            req = req.header(header::CONTENT_TYPE, "application/json").body(b);
        }
        let result = self.exchange(req).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok((status, _)) => {
                tracing::debug!(%method, %path, status = status.as_u16(), elapsed_ms, "metrc request")
            }
            Err(e) => {
                tracing::debug!(%method, %path, status = e.status(), class = ?e.class(), elapsed_ms, "metrc request failed")
            }
        }
        result.map_err(|e| e.scrub(&self.secrets(key)))
    }

    async fn exchange(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Vec<u8>), MetrcError> {
        let mut resp = req.send().await.map_err(MetrcError::from_transport)?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        let read = loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        break Err(MetrcError::ambiguous(
                            Some(status.as_u16()),
                            "the reply was far too large",
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break Ok(()),
                Err(e) => {
                    let e = MetrcError::from_transport(e);
                    let reason = match &e {
                        MetrcError::Ambiguous { reason, .. } if reason.starts_with("timed out") => {
                            "timed out while reading Metrc's reply"
                        }
                        _ => "the reply was cut off",
                    };
                    break Err(MetrcError::ambiguous(Some(status.as_u16()), reason));
                }
            }
        };
        if status.is_success() {
            read?;
            return Ok((status, body));
        }
        // For an error status the status line alone decides the class; a body cut off
        // half-way only loses the message.
        if read.is_err() {
            body.clear();
        }
        Err(reply::error(status.as_u16(), retry_after.as_deref(), &body))
    }

    /// GET of one object: a 404, a 204, an empty body or `null` mean "not found".
    pub(crate) async fn get_optional<T: DeserializeOwned>(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
    ) -> Result<Option<T>, MetrcError> {
        let url = self.url(segments, &query)?;
        match self.send(key, Method::GET, url, None).await {
            Ok((status, body)) => {
                reply::optional(status.as_u16(), &body).map_err(|e| e.scrub(&self.secrets(key)))
            }
            Err(MetrcError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET of a list, following `TotalPages` from page 1 with the configured page size. A bare
    /// array reply (paging ignored by the server) is accepted as the whole list.
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
    ) -> Result<Vec<T>, MetrcError> {
        let mut out = Vec::new();
        let mut page: u32 = 1;
        loop {
            let mut q = query.clone();
            q.push(("pageNumber", page.to_string()));
            q.push(("pageSize", self.page_size.to_string()));
            let url = self.url(segments, &q)?;
            let (status, body) = self.send(key, Method::GET, url, None).await?;
            let reply::Page { items, total_pages } = reply::page::<T>(status.as_u16(), &body)
                .map_err(|e| e.scrub(&self.secrets(key)))?;
            let empty = items.is_empty();
            out.extend(items);
            let total = total_pages.unwrap_or(1).min(MAX_PAGES);
            if empty || page >= total {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// GET of a small lookup that Metrc returns as a bare array (no paging parameters sent).
    /// An envelope is tolerated too.
    pub(crate) async fn get_list<T: DeserializeOwned>(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
    ) -> Result<Vec<T>, MetrcError> {
        let url = self.url(segments, &query)?;
        let (status, body) = self.send(key, Method::GET, url, None).await?;
        reply::list(status.as_u16(), &body).map_err(|e| e.scrub(&self.secrets(key)))
    }

    /// GET whose body is ignored: success means the key may read this area.
    pub(crate) async fn probe(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
    ) -> Result<(), MetrcError> {
        let url = self.url(segments, &query)?;
        self.send(key, Method::GET, url, None).await.map(|_| ())
    }

    fn json_body<T: Serialize>(items: &[T]) -> Result<Vec<u8>, MetrcError> {
        if items.is_empty() {
            return Err(MetrcError::invalid(
                "There is nothing to send: the list of records is empty.",
            ));
        }
        serde_json::to_vec(items).map_err(|_| {
            MetrcError::invalid("The records could not be converted to JSON. Check their values (no NaN or infinite numbers).")
        })
    }

    /// POST of an array; the v2 reply `{"Ids":[…],"Warnings":…}`. An empty 2xx body is a success
    /// without ids; any other undecodable reply is ambiguous (the write may have landed).
    pub(crate) async fn post<T: Serialize>(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
        items: &[T],
    ) -> Result<WriteOutcome, MetrcError> {
        let body = Self::json_body(items)?;
        let url = self.url(segments, &query)?;
        let (status, body) = self.send(key, Method::POST, url, Some(body)).await?;
        reply::write(status.as_u16(), &body).map_err(|e| e.scrub(&self.secrets(key)))
    }

    /// PUT of an array; the reply body is ignored.
    pub(crate) async fn put<T: Serialize>(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
        items: &[T],
    ) -> Result<(), MetrcError> {
        let body = Self::json_body(items)?;
        let url = self.url(segments, &query)?;
        self.send(key, Method::PUT, url, Some(body))
            .await
            .map(|_| ())
    }

    /// DELETE; the reply body is ignored.
    pub(crate) async fn delete(
        &self,
        key: &UserKey,
        segments: &[&str],
        query: Query,
    ) -> Result<(), MetrcError> {
        let url = self.url(segments, &query)?;
        self.send(key, Method::DELETE, url, None).await.map(|_| ())
    }
}
