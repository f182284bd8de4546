//! Plan rewrites applied before execution.
//!
//! `PushDownProjection`: every scan under a join, aggregate, sort, filter or projection reads
//! only the columns something above it uses. The result's schema never changes: the root
//! requires all of its own columns.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::plan_schema::{join_layout, scan_schema, schema_of};
use crate::scan::Plan;

type Names = BTreeSet<String>;

/// Narrows scans to the columns the rest of the plan needs.
pub(crate) fn push_down_projection(plan: Plan) -> Result<Plan> {
    let required: Names = schema_of(&plan)?
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    prune(plan, &required)
}

fn prune(plan: Plan, required: &Names) -> Result<Plan> {
    Ok(match plan {
        Plan::Scan(mut node) => {
            let out = scan_schema(&node)?;
            let names: Vec<String> = out.fields().iter().map(|f| f.name().clone()).collect();
            let mut keep: Vec<String> = names
                .iter()
                .filter(|n| required.contains(*n))
                .cloned()
                .collect();
            if keep.is_empty() {
                // Row counts still need one column to carry them.
                keep = names.iter().take(1).cloned().collect();
            }
            if keep.len() < names.len() {
                node.projection = Some(keep);
            }
            Plan::Scan(node)
        }
        Plan::Filter { input, predicate } => {
            let mut req = required.clone();
            req.extend(predicate.columns().into_iter().map(|c| c.name.clone()));
            Plan::Filter {
                input: Box::new(prune(*input, &req)?),
                predicate,
            }
        }
        Plan::Project { input, columns } => {
            let req: Names = columns.iter().cloned().collect();
            Plan::Project {
                input: Box::new(prune(*input, &req)?),
                columns,
            }
        }
        Plan::Rename { input, from, to } => {
            let mut req = required.clone();
            if req.remove(&to) {
                req.insert(from.clone());
            }
            Plan::Rename {
                input: Box::new(prune(*input, &req)?),
                from,
                to,
            }
        }
        Plan::Limit { input, n } => Plan::Limit {
            input: Box::new(prune(*input, required)?),
            n,
        },
        Plan::Sort { input, keys } => {
            let mut req = required.clone();
            req.extend(keys.iter().map(|k| k.column.clone()));
            Plan::Sort {
                input: Box::new(prune(*input, &req)?),
                keys,
            }
        }
        Plan::KeepMax {
            input,
            keys,
            column,
        } => {
            let mut req = required.clone();
            req.extend(keys.iter().cloned());
            req.insert(column.clone());
            Plan::KeepMax {
                input: Box::new(prune(*input, &req)?),
                keys,
                column,
            }
        }
        Plan::KeepPreferred {
            input,
            keys,
            column,
            preference,
        } => {
            let mut req = required.clone();
            req.extend(keys.iter().cloned());
            req.insert(column.clone());
            Plan::KeepPreferred {
                input: Box::new(prune(*input, &req)?),
                keys,
                column,
                preference,
            }
        }
        Plan::Aggregate { input, keys, aggs } => {
            let mut req: Names = keys.iter().cloned().collect();
            req.extend(aggs.iter().filter_map(|a| a.column.clone()));
            Plan::Aggregate {
                input: Box::new(prune(*input, &req)?),
                keys,
                aggs,
            }
        }
        Plan::Join {
            left,
            right,
            on,
            kind,
        } => {
            let left_schema = schema_of(&left)?;
            let right_schema = schema_of(&right)?;
            let layout = join_layout(&left_schema, &right_schema, &on, kind)?;
            let n_left = left_schema.fields().len();
            let mut req_right: Names = on.iter().map(|(_, r)| r.clone()).collect();
            for (pos, &ri) in layout.right_kept.iter().enumerate() {
                if required.contains(layout.schema.field(n_left + pos).name()) {
                    req_right.insert(right_schema.field(ri).name().clone());
                }
            }
            let mut req_left: Names = on.iter().map(|(l, _)| l.clone()).collect();
            for f in left_schema.fields() {
                // Left columns named like a kept right column stay, so that the right
                // column keeps its suffixed name.
                if required.contains(f.name()) || req_right.contains(f.name()) {
                    req_left.insert(f.name().clone());
                }
            }
            Plan::Join {
                left: Box::new(prune(*left, &req_left)?),
                right: Box::new(prune(*right, &req_right)?),
                on,
                kind,
            }
        }
    })
}
