//! Table schemas as Delta schema JSON, and the protocol they need.

use serde_json::{Value, json};

use super::DeltaError;
use super::actions::Protocol;
use crate::manifest::ColumnSpec;

/// The Delta type of a manifest type name (`spec/FORMAT.md` section 13 has the table).
fn delta_type(type_name: &str) -> Option<Value> {
    let primitive = match type_name {
        "utf8" => Some("string"),
        "int32" => Some("integer"),
        "int64" => Some("long"),
        "float64" => Some("double"),
        "bool" => Some("boolean"),
        // Microseconds since the epoch, UTC: Delta's `timestamp` exactly.
        "timestamp[us, +00:00]" | "timestamp[us, UTC]" => Some("timestamp"),
        _ => None,
    };
    if let Some(p) = primitive {
        return Some(Value::String(p.to_owned()));
    }
    if let Some(inner) = type_name
        .strip_prefix("list<")
        .and_then(|t| t.strip_suffix('>'))
    {
        return Some(json!({
            "type": "array",
            "elementType": delta_type(inner)?,
            "containsNull": true,
        }));
    }
    let (key, value) = type_name
        .strip_prefix("map<")
        .and_then(|t| t.strip_suffix('>'))?
        .split_once(", ")?;
    Some(json!({
        "type": "map",
        "keyType": delta_type(key)?,
        "valueType": delta_type(value)?,
        "valueContainsNull": true,
    }))
}

/// The `schemaString` of a table's `metaData` action: every column of the manifest's schema,
/// partition columns included, in order.
pub fn delta_schema_string(table: &str, columns: &[ColumnSpec]) -> Result<String, DeltaError> {
    let fields = columns
        .iter()
        .map(|c| {
            let data_type =
                delta_type(&c.data_type).ok_or_else(|| DeltaError::UnsupportedType {
                    table: table.to_owned(),
                    column: c.name.clone(),
                    data_type: c.data_type.clone(),
                })?;
            Ok(json!({
                "name": c.name,
                "type": data_type,
                "nullable": c.nullable,
                "metadata": {},
            }))
        })
        .collect::<Result<Vec<_>, DeltaError>>()?;
    Ok(json!({"type": "struct", "fields": fields}).to_string())
}

/// The lowest protocol the schema needs: every type above is in reader version 1, and
/// writer version 2 makes writers respect the non-null columns.
pub fn protocol_for(_columns: &[ColumnSpec]) -> Protocol {
    Protocol {
        min_reader_version: 1,
        min_writer_version: 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::columns_of;
    use crate::tables::Table;

    #[test]
    fn every_table_maps_to_delta_types() {
        for t in Table::ALL {
            let columns = columns_of(&t.schema());
            let text = delta_schema_string(t.name(), &columns).expect("maps");
            let parsed: Value = serde_json::from_str(&text).expect("json");
            let fields = parsed["fields"].as_array().expect("fields");
            assert_eq!(fields.len(), columns.len(), "{t}");
            for (f, c) in fields.iter().zip(&columns) {
                assert_eq!(f["name"], c.name.as_str());
                assert_eq!(f["nullable"], c.nullable);
            }
        }
    }

    #[test]
    fn nested_types_spell_as_delta_does() {
        assert_eq!(
            delta_type("map<utf8, float64>"),
            Some(
                json!({"type": "map", "keyType": "string", "valueType": "double",
                        "valueContainsNull": true})
            )
        );
        assert_eq!(
            delta_type("list<utf8>"),
            Some(json!({"type": "array", "elementType": "string", "containsNull": true}))
        );
        assert_eq!(
            delta_type("timestamp[us, +00:00]"),
            Some(json!("timestamp"))
        );
        assert_eq!(delta_type("decimal128(10, 2)"), None);
        assert_eq!(delta_type("map<utf8>"), None);
    }
}
