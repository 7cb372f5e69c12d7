//! Waiting for spawned tasks that each end in a result.

use anyhow::{Context, Result};
use futures_util::future::try_join_all;
use tokio::task::JoinHandle;

/// Every task's value, or the first failure (a panic counts as one).
pub async fn joined<T>(tasks: impl IntoIterator<Item = JoinHandle<Result<T>>>) -> Result<Vec<T>> {
    try_join_all(tasks)
        .await
        .context("a task panicked")?
        .into_iter()
        .collect()
}
