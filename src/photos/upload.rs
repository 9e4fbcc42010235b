//! The HTTP side of photos: reading multipart uploads within the byte bound, and answering
//! with a stored image.

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{MAX_BYTES, Variant};
use crate::error::AppError;

/// Reads every file part of a multipart body (at most `max_files`), refusing a part over
/// [`MAX_BYTES`] as soon as it passes the bound, without buffering the rest.
pub async fn read_files(
    mut multipart: Multipart,
    max_files: usize,
) -> Result<Vec<Bytes>, AppError> {
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.file_name().is_none() && field.name() != Some("file") {
            continue;
        }
        if files.len() == max_files {
            return Err(AppError::field("file", "too_many"));
        }
        let bytes = read_photo(field).await?;
        if !bytes.is_empty() {
            files.push(bytes);
        }
    }
    if files.is_empty() {
        return Err(AppError::field("file", "required"));
    }
    Ok(files)
}

/// One photo part, refused (`photo.too_large`) as soon as it passes [`MAX_BYTES`].
pub async fn read_photo(field: Field<'_>) -> Result<Bytes, AppError> {
    let bytes = crate::http::read_field(field, MAX_BYTES, AppError::PhotoTooLarge).await?;
    Ok(Bytes::from(bytes))
}

/// Maps a multipart failure of a photo upload: a body over its limit is `photo.too_large`.
pub fn multipart_error(e: MultipartError) -> AppError {
    match crate::http::multipart_error(e) {
        AppError::PayloadTooLarge => AppError::PhotoTooLarge,
        other => other,
    }
}

/// Parses a variant from a URL segment (`original`, `preview`, `thumb`).
pub fn variant(s: &str) -> Result<Variant, AppError> {
    match s {
        "original" => Ok(Variant::Original),
        "preview" => Ok(Variant::Preview),
        "thumb" => Ok(Variant::Thumb),
        _ => Err(AppError::NotFound),
    }
}

/// How long a client may keep an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// For good: a defect photo never changes under its id.
    Immutable,
    /// Ask again each time (with the ETag): a floor plan can be replaced under its address.
    Revalidate,
}

/// An image response with its caching rule; the ETag is the content hash.
pub fn image_response(bytes: Vec<u8>, mime: &str, etag: &str, caching: Caching) -> Response {
    let cache = match caching {
        Caching::Immutable => "private, max-age=31536000, immutable",
        Caching::Revalidate => "private, no-cache",
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
            (header::ETAG, format!("\"{etag}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
