//! Blobs in an S3-compatible bucket of the region's own (one bucket per region), keyed
//! by SHA-256 like the directory store. Requests are signed by `rusty-s3` and sent with
//! the workspace's HTTP client. This client talks to the region's bucket only, never to
//! another region: crossing regions stays the gate's alone (the test
//! `only_the_gate_holds_an_http_client` allows an HTTP client in this one file).

use async_trait::async_trait;
use roost_core::media::{content_hash, is_hash, BlobError, BlobStore};
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use std::time::Duration;

/// Signed URLs live this long: each is used at once.
const SIGN_FOR: Duration = Duration::from_secs(300);

/// Where the region's bucket is.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// e.g. `https://s3.ap-south-1.amazonaws.com` or a local S3-compatible server.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

pub struct S3BlobStore {
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::Client,
}

fn err(e: impl std::fmt::Display) -> BlobError {
    BlobError(e.to_string())
}

impl S3BlobStore {
    pub fn new(s: &S3Settings) -> Result<S3BlobStore, BlobError> {
        let endpoint: url::Url = s.endpoint.parse().map_err(err)?;
        let bucket = Bucket::new(endpoint, UrlStyle::Path, s.bucket.clone(), s.region.clone())
            .map_err(err)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(err)?;
        Ok(S3BlobStore {
            bucket,
            credentials: Credentials::new(s.access_key.clone(), s.secret_key.clone()),
            http,
        })
    }

    /// Creates the bucket (for a fresh region, and the tests); an existing one is kept.
    pub async fn create_bucket(&self) -> Result<(), BlobError> {
        let url = self.bucket.create_bucket(&self.credentials).sign(SIGN_FOR);
        // An empty body, said so: some servers refuse a PUT without a length.
        let r = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await
            .map_err(err)?;
        if r.status().is_success() || r.status().as_u16() == 409 {
            return Ok(());
        }
        Err(BlobError(format!(
            "creating the bucket: HTTP {}",
            r.status()
        )))
    }

    fn key(hash: &str) -> Result<&str, BlobError> {
        if !is_hash(hash) {
            return Err(BlobError(format!("not a blob hash: {hash:?}")));
        }
        Ok(hash)
    }

    async fn get_with(
        &self,
        hash: &str,
        range: Option<String>,
    ) -> Result<Option<Vec<u8>>, BlobError> {
        let key = Self::key(hash)?;
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let mut rb = self.http.get(url);
        if let Some(r) = range {
            rb = rb.header(reqwest::header::RANGE, r);
        }
        let r = rb.send().await.map_err(err)?;
        match r.status().as_u16() {
            404 => Ok(None),
            416 => Ok(Some(Vec::new())),
            s if (200..300).contains(&s) => Ok(Some(r.bytes().await.map_err(err)?.to_vec())),
            s => Err(BlobError(format!("GET {key}: HTTP {s}"))),
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<String, BlobError> {
        let hash = content_hash(&bytes);
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &hash)
            .sign(SIGN_FOR);
        let r = self.http.put(url).body(bytes).send().await.map_err(err)?;
        if !r.status().is_success() {
            return Err(BlobError(format!("PUT {hash}: HTTP {}", r.status())));
        }
        Ok(hash)
    }

    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.get_with(hash, None).await
    }

    async fn range(&self, hash: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>, BlobError> {
        if end < start {
            return Ok(Some(Vec::new()));
        }
        self.get_with(hash, Some(format!("bytes={start}-{end}")))
            .await
    }

    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError> {
        let key = Self::key(hash)?;
        let url = self
            .bucket
            .head_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let r = self.http.head(url).send().await.map_err(err)?;
        match r.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => Ok(r
                .headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())),
            s => Err(BlobError(format!("HEAD {key}: HTTP {s}"))),
        }
    }

    async fn delete(&self, hash: &str) -> Result<(), BlobError> {
        let key = Self::key(hash)?;
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let r = self.http.delete(url).send().await.map_err(err)?;
        if r.status().is_success() || r.status().as_u16() == 404 {
            return Ok(());
        }
        Err(BlobError(format!("DELETE {key}: HTTP {}", r.status())))
    }

    async fn list(&self) -> Result<Vec<String>, BlobError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = action.sign(SIGN_FOR);
            let r = self.http.get(url).send().await.map_err(err)?;
            if !r.status().is_success() {
                return Err(BlobError(format!("LIST: HTTP {}", r.status())));
            }
            let text = r.text().await.map_err(err)?;
            let page = ListObjectsV2::parse_response(&text).map_err(err)?;
            out.extend(
                page.contents
                    .into_iter()
                    .map(|o| o.key)
                    .filter(|k| is_hash(k)),
            );
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.sort();
        Ok(out)
    }
}
