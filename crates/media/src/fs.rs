//! Blobs as files under one directory, named by their SHA-256 (`ab/cd/abcd...`). A file is
//! written under a temporary name in the same directory and renamed, so a reader never
//! sees half of one and a crash leaves no partial blob under a real name.

use async_trait::async_trait;
use roost_core::media::{content_hash, is_hash, BlobError, BlobStore};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

fn io(e: std::io::Error) -> BlobError {
    BlobError(e.to_string())
}

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> FsBlobStore {
        FsBlobStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, hash: &str) -> Result<PathBuf, BlobError> {
        // The hash becomes a path: anything but 64 hex digits is refused here.
        if !is_hash(hash) {
            return Err(BlobError(format!("not a blob hash: {hash:?}")));
        }
        Ok(self.root.join(&hash[0..2]).join(&hash[2..4]).join(hash))
    }

    async fn blocking<T: Send + 'static>(
        f: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
    ) -> Result<T, BlobError> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| BlobError(e.to_string()))?
    }
}

fn not_found_is_none<T>(r: std::io::Result<T>) -> Result<Option<T>, BlobError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(e)),
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<String, BlobError> {
        let hash = content_hash(&bytes);
        let path = self.path(&hash)?;
        let h = hash.clone();
        Self::blocking(move || {
            if path.exists() {
                return Ok(());
            }
            let dir = path.parent().expect("blob paths have a parent");
            std::fs::create_dir_all(dir).map_err(io)?;
            // Unique per write: two uploads of the same bytes at once each write their own.
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = dir.join(format!(".{h}.{}.{n}", std::process::id()));
            std::fs::write(&tmp, &bytes).map_err(io)?;
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
            let renamed = std::fs::rename(&tmp, &path);
            if renamed.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            renamed.map_err(io)
        })
        .await?;
        Ok(hash)
    }

    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path(hash)?;
        Self::blocking(move || not_found_is_none(std::fs::read(path))).await
    }

    async fn range(&self, hash: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path(hash)?;
        Self::blocking(move || {
            let Some(mut f) = not_found_is_none(std::fs::File::open(path))? else {
                return Ok(None);
            };
            let len = f.metadata().map_err(io)?.len();
            if start >= len || end < start {
                return Ok(Some(Vec::new()));
            }
            let end = end.min(len - 1);
            f.seek(SeekFrom::Start(start)).map_err(io)?;
            let mut buf = vec![0; (end - start + 1) as usize];
            f.read_exact(&mut buf).map_err(io)?;
            Ok(Some(buf))
        })
        .await
    }

    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError> {
        let path = self.path(hash)?;
        Self::blocking(move || Ok(not_found_is_none(std::fs::metadata(path))?.map(|m| m.len())))
            .await
    }

    async fn delete(&self, hash: &str) -> Result<(), BlobError> {
        let path = self.path(hash)?;
        Self::blocking(move || not_found_is_none(std::fs::remove_file(path)).map(|_| ())).await
    }

    async fn list(&self) -> Result<Vec<String>, BlobError> {
        let root = self.root.clone();
        Self::blocking(move || {
            let mut out = Vec::new();
            let mut stack = vec![root];
            while let Some(dir) = stack.pop() {
                let Some(entries) = not_found_is_none(std::fs::read_dir(&dir))? else {
                    continue;
                };
                for e in entries {
                    let e = e.map_err(io)?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    if e.file_type().map_err(io)?.is_dir() {
                        stack.push(e.path());
                    } else if is_hash(&name) {
                        out.push(name);
                    }
                }
            }
            out.sort();
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_range_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsBlobStore::new(dir.path());
        let h = s.put(b"hello world".to_vec()).await.unwrap();
        assert_eq!(h, content_hash(b"hello world"));
        assert_eq!(s.put(b"hello world".to_vec()).await.unwrap(), h);
        assert_eq!(s.get(&h).await.unwrap().unwrap(), b"hello world");
        assert_eq!(s.range(&h, 6, 100).await.unwrap().unwrap(), b"world");
        assert_eq!(s.size(&h).await.unwrap(), Some(11));
        assert_eq!(s.list().await.unwrap(), vec![h.clone()]);
        s.delete(&h).await.unwrap();
        s.delete(&h).await.unwrap();
        assert!(s.get(&h).await.unwrap().is_none());
        assert!(s.get("../../etc/passwd").await.is_err());
    }

    #[tokio::test]
    async fn the_same_bytes_put_at_once_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let s = std::sync::Arc::new(FsBlobStore::new(dir.path()));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let s = s.clone();
            set.spawn(async move { s.put(vec![7u8; 100_000]).await });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
        assert_eq!(s.list().await.unwrap().len(), 1);
    }
}
