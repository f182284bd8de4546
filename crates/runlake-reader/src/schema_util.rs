//! Small helpers on Arrow types and object paths.

use arrow::datatypes::DataType;
use object_store::path::Path;

/// The manifest's name for a type (`utf8`, `int64`, `map<utf8, float64>`, ...).
pub(crate) fn type_label(dt: &DataType) -> String {
    runlake_format::manifest::type_name(dt)
}

/// The location of a lake-relative path under the lake root. Paths in the manifest are
/// already safe object names (partition values are percent-encoded by the format), so they
/// are taken as they are rather than encoded a second time.
pub(crate) fn location(root: &Path, relative: &str) -> Result<Path, object_store::path::Error> {
    let root = root.as_ref();
    if root.is_empty() {
        Path::parse(relative)
    } else {
        Path::parse(format!("{root}/{relative}"))
    }
}
