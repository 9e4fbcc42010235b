//! Photos: upload limits, format sniffing, the ingest pipeline (original kept byte for byte, an
//! upright 1600 px preview and 320 px thumbnail as fresh JPEGs without metadata) and the
//! [`Photos`] service that runs it off the async executor and stores the files.
//!
//! Every input is bounded before work is done on it: bytes ([`MAX_BYTES`]), then pixels from
//! the header ([`MAX_PIXELS`], [`MAX_SIDE`]) before any pixel buffer exists.

pub mod derive;
pub mod sniff;
pub mod store;
pub mod upload;

#[cfg(test)]
pub(crate) mod fixtures;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::AppError;

pub use store::LocalStore;

/// Largest accepted upload (25 MB).
pub const MAX_BYTES: usize = 25 * 1024 * 1024;
/// Most pixels an image's header may claim (120 MP).
pub const MAX_PIXELS: u64 = 120_000_000;
/// Longest allowed side in pixels.
pub const MAX_SIDE: u32 = 30_000;
/// Longest side of the preview.
pub const PREVIEW_PX: u32 = 1600;
/// Longest side of the thumbnail.
pub const THUMB_PX: u32 = 320;

/// One of the stored files of a photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The uploaded bytes, unchanged.
    Original,
    /// Upright JPEG, longest side at most [`PREVIEW_PX`].
    Preview,
    /// Upright JPEG, longest side at most [`THUMB_PX`].
    Thumb,
}

/// A photo after ingest: the identity of the original and its derivatives.
#[derive(Clone)]
pub struct Ingested {
    /// Lowercase hex SHA-256 of the original bytes.
    pub sha256: String,
    /// MIME type of the original, from its magic bytes.
    pub mime: &'static str,
    /// Size of the original in bytes.
    pub bytes: usize,
    /// Width of the original once upright (after Exif orientation).
    pub width: u32,
    /// Height of the original once upright.
    pub height: u32,
    /// The preview, JPEG.
    pub preview: Vec<u8>,
    /// The thumbnail, JPEG.
    pub thumb: Vec<u8>,
}

impl fmt::Debug for Ingested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ingested")
            .field("sha256", &self.sha256)
            .field("mime", &self.mime)
            .field("bytes", &self.bytes)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("preview", &format_args!("{} bytes", self.preview.len()))
            .field("thumb", &format_args!("{} bytes", self.thumb.len()))
            .finish()
    }
}

/// Checks, decodes and derives one uploaded photo (blocking CPU work: call it off the executor,
/// as [`Photos::ingest`] does).
pub fn ingest(bytes: &[u8]) -> Result<Ingested, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PhotoTooLarge);
    }
    let format = sniff::sniff(bytes)?;
    let derived = match format {
        sniff::Format::Jpeg => {
            let info = sniff::jpeg_info(bytes)?;
            sniff::check_dimensions(info.width, info.height)?;
            derive::from_jpeg(bytes, &info)?
        }
        sniff::Format::Png | sniff::Format::WebP => derive::from_image(bytes, format)?,
    };
    Ok(Ingested {
        sha256: sha256_hex(bytes),
        mime: format.mime(),
        bytes: bytes.len(),
        width: derived.width,
        height: derived.height,
        preview: derived.preview,
        thumb: derived.thumb,
    })
}

/// Whether `bytes` are a PDF document (by its header).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// Lowercase hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The photo service: ingest bounded to one photo per core, and the store.
#[derive(Debug, Clone)]
pub struct Photos {
    store: LocalStore,
    permits: Arc<Semaphore>,
}

impl Photos {
    /// A service storing under `root`, decoding at most as many photos at once as there are cores.
    pub fn new(root: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Photos {
            store: LocalStore::new(root),
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Bounded (semaphore) + tokio::task::spawn_blocking: runs `ingest`, then writes original
    /// (byte-for-byte), preview and thumb into the store. Idempotent for the same bytes.
    ///
    /// The original is written and synced to a temporary file while it is being decoded (its
    /// magic bytes checked first), so the disk wait overlaps the CPU work; it becomes visible
    /// only once the photo has passed, next to its derivatives.
    pub async fn ingest(&self, bytes: Bytes) -> Result<Ingested, AppError> {
        if bytes.len() > MAX_BYTES {
            return Err(AppError::PhotoTooLarge);
        }
        sniff::sniff(&bytes)?;
        let stage = self.store.stage(bytes.clone());
        let derive = async {
            let permit = Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            // The permit moves into the blocking task: if this future is dropped (client gone),
            // the decode still counts against the bound until it really ends.
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                ingest(&bytes)
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?
        };
        // Both run to the end (no staged file may outlive a refused photo): a refused photo
        // returns here and drops its staged file.
        let (staged, ingested) = tokio::join!(stage, derive);
        let ingested = ingested?;
        let staged = staged?;
        let sha = &ingested.sha256;
        tokio::try_join!(
            self.store.put(
                Variant::Preview,
                sha,
                Bytes::copy_from_slice(&ingested.preview)
            ),
            self.store
                .put(Variant::Thumb, sha, Bytes::copy_from_slice(&ingested.thumb)),
            staged.commit(sha),
        )?;
        Ok(ingested)
    }

    /// Stores a PDF document (evidence such as a scanned certificate) byte for byte, bounded
    /// like a photo; returns its SHA-256. Anything not starting with `%PDF-` is refused.
    pub async fn store_pdf(&self, bytes: Bytes) -> Result<String, AppError> {
        if bytes.len() > MAX_BYTES {
            return Err(AppError::PhotoTooLarge);
        }
        if !is_pdf(&bytes) {
            return Err(AppError::PhotoUnsupported);
        }
        let sha = sha256_hex(&bytes);
        self.store.put(Variant::Original, &sha, bytes).await?;
        Ok(sha)
    }

    /// Reads a stored variant; NotFound if absent.
    pub async fn read(&self, sha256: &str, variant: Variant) -> Result<Vec<u8>, AppError> {
        self.store.get(variant, sha256).await
    }
}

#[cfg(test)]
mod tests;
