//! Floor plans (户型图): one image per layout, uploaded by an administrator, on which defects
//! are pinned.

use axum::extract::Multipart;
use uuid::Uuid;

use super::repo;
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::photos::{self, Variant};

/// Stores an uploaded plan image for a layout (administrators of its project).
pub async fn upload(
    app: &AppState,
    user: &CurrentUser,
    layout: Uuid,
    multipart: Multipart,
) -> Result<(), AppError> {
    let (project, _) = repo::layout_plan(&mut app.db.read().await?, layout).await?;
    user.require(project, &[Role::Admin])?;
    let file = photos::upload::read_files(multipart, 1)
        .await?
        .pop()
        .ok_or_else(|| AppError::field("file", "required"))?;
    let stored = app.photos.ingest(file).await?;
    let mut tx = app.db.begin().await?;
    repo::insert_blob(&mut tx, &stored, crate::clock::now()).await?;
    repo::set_layout_plan(&mut tx, layout, &stored.sha256).await?;
    tx.commit().await
}

/// The plan's content hash and 1600 px preview, to staff of the layout's project.
pub async fn read(
    app: &AppState,
    user: &CurrentUser,
    layout: Uuid,
) -> Result<(String, Vec<u8>), AppError> {
    let (project, sha) = repo::layout_plan(&mut app.db.read().await?, layout).await?;
    user.require_visible(project)?;
    let sha = sha.ok_or(AppError::NotFound)?;
    let bytes = app.photos.read(&sha, Variant::Preview).await?;
    Ok((sha, bytes))
}
