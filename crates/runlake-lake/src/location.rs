//! Turning a user's lake location (path or URL) into an object store and a prefix.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;

use crate::error::{LakeError, Result};
use crate::local_files::LocalFiles;

/// Options for remote stores that the environment cannot express.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Endpoint URL of an S3-compatible server (otherwise `AWS_ENDPOINT_URL` or AWS's default).
    pub endpoint: Option<String>,
}

/// A resolved location: a store, the lake's prefix inside it, and how it lists.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The lake root inside the store.
    pub root: Path,
    /// Whether LIST returns keys in lexicographic order (S3, GCS, in-memory do; local folders
    /// do not).
    pub ordered_listing: bool,
    /// The folder, for local locations.
    pub local_dir: Option<std::path::PathBuf>,
}

/// Resolves `location`: a local path, `file://`, `s3://bucket/prefix`, `gs://bucket/prefix` or
/// `memory://` (a fresh empty in-memory store). Credentials come from the environment in the
/// standard way for each store and are never stored in the lake.
pub fn resolve(location: &str, options: &StoreOptions, create_dir: bool) -> Result<Resolved> {
    let invalid = |reason: &str| LakeError::InvalidLocation {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, prefix) = split_bucket(rest).ok_or_else(|| invalid("missing bucket"))?;
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = &options.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        } else if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
            builder = builder.with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(|e| invalid(&e.to_string()))?;
        return Ok(Resolved {
            store: Arc::new(store),
            root: Path::from(prefix),
            ordered_listing: true,
            local_dir: None,
        });
    }
    if let Some(rest) = location.strip_prefix("gs://") {
        let (bucket, prefix) = split_bucket(rest).ok_or_else(|| invalid("missing bucket"))?;
        let store = GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        return Ok(Resolved {
            store: Arc::new(store),
            root: Path::from(prefix),
            ordered_listing: true,
            local_dir: None,
        });
    }
    if location == "memory://" || location == "memory:" {
        return Ok(Resolved {
            store: Arc::new(InMemory::new()),
            root: Path::default(),
            ordered_listing: true,
            local_dir: None,
        });
    }
    if let Some((scheme, _)) = location.split_once("://")
        && scheme != "file"
    {
        return Err(invalid(&format!(
            "unsupported scheme `{scheme}://` (use a local path, file://, s3:// or gs://)"
        )));
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    if path.is_empty() {
        return Err(invalid("empty path"));
    }
    if create_dir {
        std::fs::create_dir_all(path).map_err(|e| invalid(&e.to_string()))?;
    } else if !std::path::Path::new(path).is_dir() {
        return Err(LakeError::NotALake {
            location: location.to_owned(),
            versions: runlake_format::layout::VERSIONS_DIR,
        });
    }
    let store = LocalFileSystem::new_with_prefix(path).map_err(|e| invalid(&e.to_string()))?;
    let store = LocalFiles::new(store);
    Ok(Resolved {
        store: Arc::new(store),
        root: Path::default(),
        ordered_listing: false,
        local_dir: Some(std::path::PathBuf::from(path)),
    })
}

/// Whether `location` names a folder on this machine (a path or a `file://` URL).
pub fn is_local(location: &str) -> bool {
    location.starts_with("file://") || !location.contains("://")
}

fn split_bucket(rest: &str) -> Option<(&str, &str)> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, prefix.trim_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_schemes_fail_closed() {
        let err = resolve("http://example.com/lake", &StoreOptions::default(), false)
            .expect_err("refused");
        assert!(
            err.to_string().contains("unsupported scheme `http://`"),
            "{err}"
        );
        assert!(resolve("s3://", &StoreOptions::default(), false).is_err());
    }

    #[test]
    fn local_locations_are_paths_and_file_urls() {
        assert!(is_local("/data/lake") && is_local("lake") && is_local("file:///data/lake"));
        assert!(!is_local("s3://b/lake") && !is_local("gs://b") && !is_local("memory://"));
    }

    #[test]
    fn bucket_and_prefix_split() {
        assert_eq!(split_bucket("b/a/c/"), Some(("b", "a/c")));
        assert_eq!(split_bucket("b"), Some(("b", "")));
        assert_eq!(split_bucket(""), None);
    }
}
