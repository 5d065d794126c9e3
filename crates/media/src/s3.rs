//! The region's own S3-compatible buckets: [`RegionBucket`] (signed object operations on
//! one bucket: put, multipart upload of a file, get into memory or a file, list, delete)
//! and on it [`S3BlobStore`], the media blobs keyed by SHA-256 like the directory store.
//! Backups use [`RegionBucket`] too. Requests are signed by `rusty-s3` and sent with the
//! workspace's HTTP client. This client talks to the region's buckets only, never to
//! another region: crossing regions stays the gate's alone (the test
//! `only_the_gate_holds_an_http_client` allows an HTTP client in this one file).

use async_trait::async_trait;
use roost_core::media::{content_hash, is_hash, BlobError, BlobStore};
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Signed URLs live this long: each is used at once.
const SIGN_FOR: Duration = Duration::from_secs(300);
/// A request of one small object (or one part) takes at most this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// S3 refuses parts smaller than this, but for the last one.
pub const MIN_PART_BYTES: usize = 5 << 20;
/// S3 allows this many parts of one upload at most.
const MAX_PARTS: u64 = 10_000;

/// Where the region's bucket is.
#[derive(Clone)]
pub struct S3Settings {
    /// e.g. `https://s3.ap-south-1.amazonaws.com` or a local S3-compatible server.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Settings {
    // The secret key stays out of logs and debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<hidden>")
            .finish()
    }
}

/// What went wrong with a bucket of the region's.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("bucket {bucket}: {reason}")]
    Settings { bucket: String, reason: String },
    #[error("{what}: the request failed")]
    Request {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{what}: HTTP {status}")]
    Status { what: String, status: u16 },
    #[error("{what}: the answer could not be read: {reason}")]
    Answer { what: String, reason: String },
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    TooBig { what: String, reason: String },
}

/// One S3-compatible bucket of the region's, signed for with its keys.
pub struct RegionBucket {
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::Client,
}

impl RegionBucket {
    pub fn new(s: &S3Settings) -> Result<RegionBucket, BucketError> {
        let bad = |reason: String| BucketError::Settings {
            bucket: s.bucket.clone(),
            reason,
        };
        let endpoint: url::Url = s
            .endpoint
            .parse()
            .map_err(|e| bad(format!("endpoint {:?}: {e}", s.endpoint)))?;
        let bucket = Bucket::new(endpoint, UrlStyle::Path, s.bucket.clone(), s.region.clone())
            .map_err(|e| bad(format!("endpoint {:?}: {e}", s.endpoint)))?;
        // No whole-request timeout: a backup's download may take long. Small requests
        // set one each; every request gives up when the server stops sending.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| bad(format!("HTTP client: {e}")))?;
        Ok(RegionBucket {
            bucket,
            credentials: Credentials::new(s.access_key.clone(), s.secret_key.clone()),
            http,
        })
    }

    pub fn name(&self) -> &str {
        self.bucket.name()
    }

    fn what(&self, verb: &str, key: &str) -> String {
        format!("{verb} s3://{}/{key}", self.bucket.name())
    }

    async fn send(
        &self,
        rb: reqwest::RequestBuilder,
        what: &(dyn Fn() -> String + Sync),
    ) -> Result<reqwest::Response, BucketError> {
        rb.send().await.map_err(|source| BucketError::Request {
            what: what(),
            source,
        })
    }

    /// [`Self::send`], and any answer but a success is an error.
    async fn send_ok(
        &self,
        rb: reqwest::RequestBuilder,
        what: &(dyn Fn() -> String + Sync),
    ) -> Result<reqwest::Response, BucketError> {
        let r = self.send(rb, what).await?;
        if !r.status().is_success() {
            return Err(BucketError::Status {
                what: what(),
                status: r.status().as_u16(),
            });
        }
        Ok(r)
    }

    /// Creates the bucket (for a fresh region, and the tests); an existing one is kept.
    pub async fn create(&self) -> Result<(), BucketError> {
        let url = self.bucket.create_bucket(&self.credentials).sign(SIGN_FOR);
        let what = || format!("creating bucket {}", self.bucket.name());
        // An empty body, said so: some servers refuse a PUT without a length.
        let r = self
            .send(
                self.http
                    .put(url)
                    .timeout(REQUEST_TIMEOUT)
                    .header(reqwest::header::CONTENT_LENGTH, "0"),
                &what,
            )
            .await?;
        if r.status().is_success() || r.status().as_u16() == 409 {
            return Ok(());
        }
        Err(BucketError::Status {
            what: what(),
            status: r.status().as_u16(),
        })
    }

    /// One object, in one request.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BucketError> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let what = || self.what("PUT", key);
        self.send_ok(
            self.http.put(url).timeout(REQUEST_TIMEOUT).body(bytes),
            &what,
        )
        .await?;
        Ok(())
    }

    /// The object (or `range` of it, an HTTP `Range` value); None if there is none. A
    /// range past its end is empty.
    pub async fn get(
        &self,
        key: &str,
        range: Option<String>,
    ) -> Result<Option<Vec<u8>>, BucketError> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let what = || self.what("GET", key);
        let mut rb = self.http.get(url).timeout(REQUEST_TIMEOUT);
        if let Some(r) = range {
            rb = rb.header(reqwest::header::RANGE, r);
        }
        let r = self.send(rb, &what).await?;
        match r.status().as_u16() {
            404 => Ok(None),
            416 => Ok(Some(Vec::new())),
            s if (200..300).contains(&s) => Ok(Some(
                r.bytes()
                    .await
                    .map_err(|source| BucketError::Request {
                        what: what(),
                        source,
                    })?
                    .to_vec(),
            )),
            status => Err(BucketError::Status {
                what: what(),
                status,
            }),
        }
    }

    /// The object written to `out` as it arrives (never all in memory); its length, or
    /// None if there is no such object (nothing is written then).
    pub async fn get_to(
        &self,
        key: &str,
        out: &mut (impl tokio::io::AsyncWrite + Unpin),
    ) -> Result<Option<u64>, BucketError> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let what = || self.what("GET", key);
        let mut r = self.send(self.http.get(url), &what).await?;
        match r.status().as_u16() {
            404 => return Ok(None),
            s if (200..300).contains(&s) => {}
            status => {
                return Err(BucketError::Status {
                    what: what(),
                    status,
                })
            }
        }
        let mut len = 0u64;
        while let Some(chunk) = r.chunk().await.map_err(|source| BucketError::Request {
            what: what(),
            source,
        })? {
            out.write_all(&chunk)
                .await
                .map_err(|source| BucketError::Io {
                    what: format!("{}: writing what arrived", what()),
                    source,
                })?;
            len += chunk.len() as u64;
        }
        out.flush().await.map_err(|source| BucketError::Io {
            what: format!("{}: writing what arrived", what()),
            source,
        })?;
        Ok(Some(len))
    }

    /// The object's length; None if there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, BucketError> {
        let url = self
            .bucket
            .head_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let what = || self.what("HEAD", key);
        let r = self
            .send(self.http.head(url).timeout(REQUEST_TIMEOUT), &what)
            .await?;
        match r.status().as_u16() {
            404 => Ok(None),
            s if (200..300).contains(&s) => Ok(r
                .headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())),
            status => Err(BucketError::Status {
                what: what(),
                status,
            }),
        }
    }

    /// Deletes the object; one that is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BucketError> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let what = || self.what("DELETE", key);
        let r = self
            .send(self.http.delete(url).timeout(REQUEST_TIMEOUT), &what)
            .await?;
        if r.status().is_success() || r.status().as_u16() == 404 {
            return Ok(());
        }
        Err(BucketError::Status {
            what: what(),
            status: r.status().as_u16(),
        })
    }

    /// The keys of the objects whose keys start with `prefix` (all with ""), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BucketError> {
        let what = || format!("listing s3://{}/{prefix}", self.bucket.name());
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            if !prefix.is_empty() {
                action.with_prefix(prefix);
            }
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = action.sign(SIGN_FOR);
            let r = self
                .send_ok(self.http.get(url).timeout(REQUEST_TIMEOUT), &what)
                .await?;
            let text = r.text().await.map_err(|source| BucketError::Request {
                what: what(),
                source,
            })?;
            let page = ListObjectsV2::parse_response(&text).map_err(|e| BucketError::Answer {
                what: what(),
                reason: e.to_string(),
            })?;
            out.extend(page.contents.into_iter().map(|o| o.key));
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.sort();
        Ok(out)
    }

    /// The file at `path` uploaded to `key` in parts of `part_bytes` (at least
    /// [`MIN_PART_BYTES`]; the last part may be smaller), read from the file one part at
    /// a time. The object appears whole or not at all: on any failure the upload is
    /// aborted. Its length.
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        part_bytes: usize,
    ) -> Result<u64, BucketError> {
        let part_bytes = part_bytes.max(MIN_PART_BYTES);
        let io = |what: String| move |source| BucketError::Io { what, source };
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(io(format!("opening {}", path.display())))?;
        let len = file
            .metadata()
            .await
            .map_err(io(format!("reading {}", path.display())))?
            .len();
        if len.div_ceil(part_bytes as u64) > MAX_PARTS {
            return Err(BucketError::TooBig {
                what: self.what("uploading to", key),
                reason: format!(
                    "{len} bytes in parts of {part_bytes} are more than {MAX_PARTS} parts"
                ),
            });
        }
        let url = self
            .bucket
            .create_multipart_upload(Some(&self.credentials), key)
            .sign(SIGN_FOR);
        let what = || self.what("starting an upload to", key);
        let r = self
            .send_ok(
                self.http
                    .post(url)
                    .timeout(REQUEST_TIMEOUT)
                    .header(reqwest::header::CONTENT_LENGTH, "0"),
                &what,
            )
            .await?;
        let text = r.text().await.map_err(|source| BucketError::Request {
            what: what(),
            source,
        })?;
        let created =
            CreateMultipartUpload::parse_response(&text).map_err(|e| BucketError::Answer {
                what: what(),
                reason: e.to_string(),
            })?;
        let upload_id = created.upload_id().to_string();
        match self
            .upload_parts(key, &upload_id, &mut file, path, part_bytes)
            .await
        {
            Ok(()) => Ok(len),
            Err(e) => {
                // The parts sent so far are dropped by the server, not kept (and billed).
                let url = self
                    .bucket
                    .abort_multipart_upload(Some(&self.credentials), key, &upload_id)
                    .sign(SIGN_FOR);
                let _ = self.http.delete(url).timeout(REQUEST_TIMEOUT).send().await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        file: &mut tokio::fs::File,
        path: &Path,
        part_bytes: usize,
    ) -> Result<(), BucketError> {
        let mut etags: Vec<String> = Vec::new();
        let mut number: u16 = 0;
        loop {
            let mut part = Vec::with_capacity(part_bytes);
            (&mut *file)
                .take(part_bytes as u64)
                .read_to_end(&mut part)
                .await
                .map_err(|source| BucketError::Io {
                    what: format!("reading {}", path.display()),
                    source,
                })?;
            // An empty file is one empty part; otherwise a part is never empty.
            if part.is_empty() && number > 0 {
                break;
            }
            let short = part.len() < part_bytes;
            number += 1;
            let url = self
                .bucket
                .upload_part(Some(&self.credentials), key, number, upload_id)
                .sign(SIGN_FOR);
            let what = || format!("{} (part {number})", self.what("uploading to", key));
            let r = self
                .send_ok(
                    self.http.put(url).timeout(REQUEST_TIMEOUT).body(part),
                    &what,
                )
                .await?;
            let etag = r
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| BucketError::Answer {
                    what: what(),
                    reason: "no ETag".into(),
                })?;
            etags.push(etag.to_string());
            if short {
                break;
            }
        }
        let action = self.bucket.complete_multipart_upload(
            Some(&self.credentials),
            key,
            upload_id,
            etags.iter().map(String::as_str),
        );
        let url = action.sign(SIGN_FOR);
        let body = action.body();
        let what = || self.what("completing the upload to", key);
        let r = self
            .send(
                self.http.post(url).timeout(REQUEST_TIMEOUT).body(body),
                &what,
            )
            .await?;
        let status = r.status();
        // S3 may answer 200 and still report an error in the body.
        let text = r.text().await.map_err(|source| BucketError::Request {
            what: what(),
            source,
        })?;
        if !status.is_success() || text.contains("<Error>") {
            return Err(BucketError::Status {
                what: what(),
                status: if status.is_success() {
                    500
                } else {
                    status.as_u16()
                },
            });
        }
        Ok(())
    }
}

/// Blobs in the region's media bucket, keyed by SHA-256 like the directory store.
pub struct S3BlobStore {
    bucket: RegionBucket,
}

fn err(e: impl std::fmt::Display) -> BlobError {
    BlobError(e.to_string())
}

impl S3BlobStore {
    pub fn new(s: &S3Settings) -> Result<S3BlobStore, BlobError> {
        Ok(S3BlobStore {
            bucket: RegionBucket::new(s).map_err(err)?,
        })
    }

    /// Creates the bucket (for a fresh region, and the tests); an existing one is kept.
    pub async fn create_bucket(&self) -> Result<(), BlobError> {
        self.bucket.create().await.map_err(err)
    }

    fn key(hash: &str) -> Result<&str, BlobError> {
        if !is_hash(hash) {
            return Err(BlobError(format!("not a blob hash: {hash:?}")));
        }
        Ok(hash)
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<String, BlobError> {
        let hash = content_hash(&bytes);
        self.bucket.put(&hash, bytes).await.map_err(err)?;
        Ok(hash)
    }

    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.bucket.get(Self::key(hash)?, None).await.map_err(err)
    }

    async fn range(&self, hash: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>, BlobError> {
        if end < start {
            return Ok(Some(Vec::new()));
        }
        self.bucket
            .get(Self::key(hash)?, Some(format!("bytes={start}-{end}")))
            .await
            .map_err(err)
    }

    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError> {
        self.bucket.size(Self::key(hash)?).await.map_err(err)
    }

    async fn delete(&self, hash: &str) -> Result<(), BlobError> {
        self.bucket.delete(Self::key(hash)?).await.map_err(err)
    }

    async fn list(&self) -> Result<Vec<String>, BlobError> {
        let mut out = self.bucket.list("").await.map_err(err)?;
        out.retain(|k| is_hash(k));
        Ok(out)
    }
}
