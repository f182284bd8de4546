//! The output schema of each plan node, checked before anything is read.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::agg::Agg;
use crate::error::{ReaderError, Result};
use crate::eval::check;
use crate::scan::{JoinKind, Plan, ScanNode, field_of};

pub(crate) fn scan_schema(node: &ScanNode) -> Result<SchemaRef> {
    let full = node.table.schema();
    let context = format!("table {}", node.table);
    if let Some(filter) = &node.filter {
        check(filter, &full).map_err(|e| ReaderError::Predicate {
            context: context.clone(),
            message: e.message,
        })?;
    }
    match &node.projection {
        None => Ok(full),
        Some(cols) => {
            let fields = cols
                .iter()
                .map(|c| field_of(&full, c, &context).cloned())
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(Schema::new(fields)))
        }
    }
}

/// Output layout of a join: which right columns are kept and under which names.
pub(crate) struct JoinLayout {
    pub(crate) schema: SchemaRef,
    /// Indices of the right columns that appear in the output, in order.
    pub(crate) right_kept: Vec<usize>,
}

pub(crate) fn join_layout(
    left: &Schema,
    right: &Schema,
    on: &[(String, String)],
    kind: JoinKind,
) -> Result<JoinLayout> {
    if on.is_empty() {
        return Err(ReaderError::NoJoinKeys);
    }
    for (l, r) in on {
        let lf = field_of(left, l, "the left side of the join")?;
        let rf = field_of(right, r, "the right side of the join")?;
        if crate::join::key_type(lf.data_type()) != crate::join::key_type(rf.data_type()) {
            return Err(ReaderError::JoinKeyMismatch {
                left: l.clone(),
                left_type: crate::schema_util::type_label(lf.data_type()),
                right: r.clone(),
                right_type: crate::schema_util::type_label(rf.data_type()),
            });
        }
    }
    let mut fields: Vec<Field> = left.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut right_kept = Vec::new();
    for (i, f) in right.fields().iter().enumerate() {
        let merged_key = on.iter().any(|(l, r)| r == f.name() && l == f.name());
        if merged_key {
            continue;
        }
        let mut name = f.name().clone();
        while fields.iter().any(|g| g.name() == &name) {
            name.push_str("_right");
        }
        let nullable = f.is_nullable() || kind == JoinKind::Left;
        fields.push(Field::new(name, f.data_type().clone(), nullable));
        right_kept.push(i);
    }
    Ok(JoinLayout {
        schema: Arc::new(Schema::new(fields)),
        right_kept,
    })
}

pub(crate) fn aggregate_schema(input: &Schema, keys: &[String], aggs: &[Agg]) -> Result<SchemaRef> {
    let mut fields = Vec::new();
    for k in keys {
        fields.push(field_of(input, k, "group_by")?.clone());
    }
    for a in aggs {
        fields.push(a.output_field(input)?);
    }
    Ok(Arc::new(Schema::new(fields)))
}

pub(crate) fn schema_of(plan: &Plan) -> Result<SchemaRef> {
    match plan {
        Plan::Scan(node) => scan_schema(node),
        Plan::Filter { input, predicate } => {
            let schema = schema_of(input)?;
            check(predicate, &schema).map_err(|e| ReaderError::Predicate {
                context: "the query result".into(),
                message: e.message,
            })?;
            Ok(schema)
        }
        Plan::Project { input, columns } => {
            let schema = schema_of(input)?;
            let fields = columns
                .iter()
                .map(|c| field_of(&schema, c, "the query result").cloned())
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(Schema::new(fields)))
        }
        Plan::Limit { input, .. } => schema_of(input),
        Plan::Rename { input, from, to } => {
            let schema = schema_of(input)?;
            field_of(&schema, from, "rename")?;
            let fields: Vec<Field> = schema
                .fields()
                .iter()
                .map(|f| {
                    if f.name() == from {
                        f.as_ref().clone().with_name(to)
                    } else {
                        f.as_ref().clone()
                    }
                })
                .collect();
            Ok(Arc::new(Schema::new(fields)))
        }
        Plan::Sort { input, keys } => {
            let schema = schema_of(input)?;
            for k in keys {
                field_of(&schema, &k.column, "sort")?;
            }
            Ok(schema)
        }
        Plan::Join {
            left,
            right,
            on,
            kind,
        } => Ok(join_layout(&*schema_of(left)?, &*schema_of(right)?, on, *kind)?.schema),
        Plan::Aggregate { input, keys, aggs } => aggregate_schema(&*schema_of(input)?, keys, aggs),
        Plan::KeepMax {
            input,
            keys,
            column,
        } => {
            let schema = schema_of(input)?;
            for k in keys.iter().chain([column]) {
                field_of(&schema, k, "keep_max")?;
            }
            Ok(schema)
        }
        Plan::KeepPreferred {
            input,
            keys,
            column,
            ..
        } => {
            let schema = schema_of(input)?;
            for k in keys.iter().chain([column]) {
                field_of(&schema, k, "keep_preferred")?;
            }
            Ok(schema)
        }
    }
}
