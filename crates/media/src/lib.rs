//! roost-media: what happens to an uploaded file — its type judged by its bytes, images
//! decoded within limits, oriented, stripped of every metadata block by re-encoding from
//! pixels, resized, previewed and blurhashed — and where the bytes are kept
//! (`FsBlobStore`, a directory of content-addressed files).

pub mod fs;
pub mod picture;
pub mod s3;
pub mod sniff;

pub use fs::FsBlobStore;
pub use s3::{BucketError, RegionBucket, S3BlobStore, S3Settings};

use async_trait::async_trait;
use roost_core::media::{MediaError, MediaLimits, MediaProcessor, Processed, Sniffed};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Processes uploads on the blocking pool, at most `parallel` at once: decoding is CPU and
/// memory heavy, and a burst of uploads must not starve the request path.
pub struct Pipeline {
    permits: Arc<Semaphore>,
}

impl Pipeline {
    pub fn new(parallel: usize) -> Pipeline {
        Pipeline {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
        }
    }

    /// One job per core.
    pub fn per_core() -> Pipeline {
        Pipeline::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

#[async_trait]
impl MediaProcessor for Pipeline {
    fn check(&self, bytes: &[u8], limits: &MediaLimits) -> Result<Sniffed, MediaError> {
        sniff::check(bytes, limits)
    }

    async fn process(&self, bytes: Vec<u8>, limits: &MediaLimits) -> Result<Processed, MediaError> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| MediaError::Backend(e.to_string()))?;
        let limits = *limits;
        tokio::task::spawn_blocking(move || {
            let sniffed = sniff::check(&bytes, &limits)?;
            if sniffed.mime.starts_with("image/") {
                picture::process(&bytes, &sniffed, &limits)
            } else {
                // Video and audio are kept as uploaded (no transcoder); the preview is the
                // generic icon the API substitutes.
                Ok(Processed {
                    kind: sniffed.kind,
                    original: (bytes, sniffed.mime),
                    preview: None,
                    size: None,
                    small: None,
                    blurhash: None,
                })
            }
        })
        .await
        .map_err(|e| MediaError::Backend(format!("processing task failed: {e}")))?
    }
}
