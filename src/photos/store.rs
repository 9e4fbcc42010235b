//! Where photo files live: a content-addressed local directory, the one storage seam (an S3
//! store can sit behind the same methods later).
//!
//! Layout: `<root>/original/ab/<sha>`, `<root>/preview/ab/<sha>.jpg`, `<root>/thumb/ab/<sha>.jpg`
//! (`ab` = the first two hex digits). A file is written to a temporary name in its final
//! directory, synced, then renamed into place, so readers never see half a file; a file already
//! present is not written again (same name = same bytes). An original can also be staged (written
//! and synced under `<root>/tmp/` while its photo is still being decoded) and committed once its
//! SHA-256 is known. After a rename into `original/`, the directory is synced too: the original
//! is the one file that cannot be derived again.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;

use crate::error::AppError;

use super::Variant;

/// Photo files in a local directory, addressed by the SHA-256 of the original.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

/// Whether `sha` is a SHA-256 as we name files: 64 lowercase hex digits (so it cannot hold `/`,
/// `..` or anything else that would leave the store's directory).
pub fn is_sha256_hex(sha: &str) -> bool {
    sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl LocalStore {
    /// A store under `root` (created on the first write).
    pub fn new(root: PathBuf) -> Self {
        LocalStore { root }
    }

    /// Path of `variant` of photo `sha`; `None` when `sha` is not 64 lowercase hex digits.
    pub fn path(&self, variant: Variant, sha: &str) -> Option<PathBuf> {
        if !is_sha256_hex(sha) {
            return None;
        }
        let (dir, ext) = match variant {
            Variant::Original => ("original", ""),
            Variant::Preview => ("preview", ".jpg"),
            Variant::Thumb => ("thumb", ".jpg"),
        };
        Some(
            self.root
                .join(dir)
                .join(&sha[..2])
                .join(format!("{sha}{ext}")),
        )
    }

    /// Stores `bytes` as `variant` of `sha` atomically; returns `false` (and writes nothing) when
    /// that file is already present.
    pub async fn put(&self, variant: Variant, sha: &str, bytes: Bytes) -> Result<bool, AppError> {
        let path = self
            .path(variant, sha)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("photo store: bad sha {sha:?}")))?;
        let sync_dir = variant == Variant::Original;
        blocking(move || write_once(&path, &bytes, sync_dir)).await
    }

    /// Writes and syncs `bytes` under a temporary name, to become an original with
    /// [`Staged::commit`] once its SHA-256 is known (dropped uncommitted, the file is removed).
    pub async fn stage(&self, bytes: Bytes) -> Result<Staged, AppError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = self.root.join("tmp");
        let tmp = dir.join(format!(
            "{}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let staged = Staged {
            store: self.clone(),
            tmp: Some(tmp.clone()),
        };
        blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let mut file = std::fs::File::create_new(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()
        })
        .await?;
        Ok(staged)
    }

    /// The bytes of `variant` of `sha`; `NotFound` when absent or when `sha` is malformed.
    pub async fn get(&self, variant: Variant, sha: &str) -> Result<Vec<u8>, AppError> {
        let path = self.path(variant, sha).ok_or(AppError::NotFound)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::NotFound),
            Err(e) => Err(AppError::Internal(
                anyhow::Error::new(e).context("photo store read"),
            )),
        }
    }
}

/// An original written and synced under a temporary name, not yet visible.
#[derive(Debug)]
pub struct Staged {
    store: LocalStore,
    tmp: Option<PathBuf>,
}

impl Staged {
    /// Moves the staged file into place as the original of `sha`; returns `false` (and removes
    /// the staged file) when that original is already present.
    pub async fn commit(mut self, sha: &str) -> Result<bool, AppError> {
        let path = self
            .store
            .path(Variant::Original, sha)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("photo store: bad sha {sha:?}")))?;
        let Some(tmp) = self.tmp.take() else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "staged file committed twice"
            )));
        };
        blocking(move || {
            if path.try_exists()? {
                std::fs::remove_file(&tmp)?;
                return Ok(false);
            }
            let dir = parent(&path)?;
            std::fs::create_dir_all(dir)?;
            std::fs::rename(&tmp, &path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
            std::fs::File::open(dir)?.sync_all()?;
            Ok(true)
        })
        .await
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Uncommitted (the photo was refused, or the request went away): nothing to keep.
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Runs blocking file work off the executor; an I/O error is an internal error.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("photo store")))
}

fn parent(path: &Path) -> std::io::Result<&Path> {
    path.parent()
        .ok_or_else(|| std::io::Error::other("store path without a directory"))
}

/// Writes `path` through a temporary file in the same directory unless it exists; with
/// `sync_dir`, also syncs the directory so that the rename survives a crash.
fn write_once(path: &Path, bytes: &[u8], sync_dir: bool) -> std::io::Result<bool> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if path.try_exists()? {
        return Ok(false);
    }
    let dir = parent(path)?;
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        // Two writers of the same photo may race here: both renames put the same bytes in place.
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if sync_dir {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";

    #[test]
    fn paths_are_content_addressed_and_sha_is_validated() {
        let store = LocalStore::new(PathBuf::from("/data"));
        assert_eq!(
            store.path(Variant::Original, SHA).unwrap(),
            PathBuf::from(format!("/data/original/ab/{SHA}"))
        );
        assert_eq!(
            store.path(Variant::Preview, SHA).unwrap(),
            PathBuf::from(format!("/data/preview/ab/{SHA}.jpg"))
        );
        assert_eq!(
            store.path(Variant::Thumb, SHA).unwrap(),
            PathBuf::from(format!("/data/thumb/ab/{SHA}.jpg"))
        );
        let traversal = format!("../../../../etc/passwd{}", &SHA[22..]);
        assert_eq!(traversal.len(), 64);
        for bad in [
            "",
            "ab",
            &SHA.to_uppercase(),
            &SHA[1..],
            &format!("{SHA}0"),
            &traversal,
            &format!("{}/{}", &SHA[..31], &SHA[32..]),
        ] {
            assert!(store.path(Variant::Original, bad).is_none(), "{bad}");
        }
    }

    #[tokio::test]
    async fn put_is_atomic_and_once_and_get_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("photos"));
        let bytes = Bytes::from_static(b"\xff\xd8\xffnot really a photo");
        assert!(
            store
                .put(Variant::Original, SHA, bytes.clone())
                .await
                .unwrap()
        );
        // Same name again: nothing written, even with other bytes (the name is the content).
        assert!(
            !store
                .put(Variant::Original, SHA, Bytes::from_static(b"x"))
                .await
                .unwrap()
        );
        assert_eq!(store.get(Variant::Original, SHA).await.unwrap(), bytes);

        let shard = dir.path().join("photos/original/ab");
        let names: Vec<_> = std::fs::read_dir(&shard)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            vec![SHA.to_owned()],
            "no temporary files left behind"
        );

        assert!(matches!(
            store.get(Variant::Preview, SHA).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            store.get(Variant::Original, "../../etc/passwd").await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            store.put(Variant::Thumb, "../x", Bytes::new()).await,
            Err(AppError::Internal(_))
        ));
    }

    #[tokio::test]
    async fn staged_originals_appear_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf());
        let staging = || std::fs::read_dir(dir.path().join("tmp")).unwrap().count();

        let dropped = store.stage(Bytes::from_static(b"refused")).await.unwrap();
        assert_eq!(staging(), 1);
        drop(dropped);
        assert_eq!(staging(), 0, "an uncommitted file is removed");

        let staged = store.stage(Bytes::from_static(b"photo")).await.unwrap();
        assert!(matches!(
            store.get(Variant::Original, SHA).await,
            Err(AppError::NotFound)
        ));
        assert!(staged.commit(SHA).await.unwrap());
        assert_eq!(store.get(Variant::Original, SHA).await.unwrap(), b"photo");

        let again = store.stage(Bytes::from_static(b"other")).await.unwrap();
        assert!(
            !again.commit(SHA).await.unwrap(),
            "already present: kept as it was"
        );
        assert_eq!(store.get(Variant::Original, SHA).await.unwrap(), b"photo");
        assert_eq!(staging(), 0);
    }
}
