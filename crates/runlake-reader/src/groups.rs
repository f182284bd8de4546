//! Group numbers for rows by the values of their key columns, in order of first appearance,
//! across any number of batches. Nulls are a value like any other, so null keys group
//! together.

use std::hash::BuildHasher;

use arrow::array::ArrayRef;
use arrow::row::{RowConverter, Rows, SortField};
use foldhash::fast::RandomState;
use hashbrown::HashTable;

use crate::error::{Result, arrow_err};

pub(crate) struct Groups {
    converter: RowConverter,
    /// Each group's key in the row format, in one buffer: no allocation per group.
    keys: Rows,
    /// A key's hash to its group number.
    table: HashTable<usize>,
    hasher: RandomState,
    /// With no key columns every row is in one group, which exists once a row has been seen.
    keyless: usize,
}

impl Groups {
    /// Groups by columns of these types.
    pub(crate) fn new(fields: Vec<SortField>) -> Result<Self> {
        Self::with_capacity(fields, 0)
    }

    /// Groups by columns of these types, with room for `groups` groups before growing.
    pub(crate) fn with_capacity(fields: Vec<SortField>, groups: usize) -> Result<Self> {
        let converter = RowConverter::new(fields).map_err(arrow_err("grouping"))?;
        let keys = converter.empty_rows(groups, groups.saturating_mul(32));
        Ok(Self {
            converter,
            keys,
            table: HashTable::with_capacity(groups),
            hasher: RandomState::default(),
            keyless: 0,
        })
    }

    /// Sets `ids` to the group of each of the `rows` rows of `columns`, adding a group for
    /// each key not seen before.
    pub(crate) fn assign(
        &mut self,
        columns: &[ArrayRef],
        rows: usize,
        ids: &mut Vec<usize>,
    ) -> Result<()> {
        ids.clear();
        if columns.is_empty() {
            self.keyless = self.keyless.max(usize::from(rows > 0));
            ids.resize(rows, 0);
            return Ok(());
        }
        let converted = self
            .converter
            .convert_columns(columns)
            .map_err(arrow_err("grouping"))?;
        let Self {
            keys,
            table,
            hasher,
            ..
        } = self;
        for row in converted.iter() {
            let key = row.as_ref();
            let hash = hasher.hash_one(key);
            let found = table.find(hash, |&g| keys.row(g).as_ref() == key).copied();
            let g = match found {
                Some(g) => g,
                None => {
                    let g = keys.num_rows();
                    keys.push(row);
                    table.insert_unique(hash, g, |&g| hasher.hash_one(keys.row(g).as_ref()));
                    g
                }
            };
            ids.push(g);
        }
        Ok(())
    }

    /// Sets `ids` to the existing group of each row of `columns`, or `None`; adds no group.
    pub(crate) fn find(&self, columns: &[ArrayRef], ids: &mut Vec<Option<usize>>) -> Result<()> {
        ids.clear();
        let converted = self
            .converter
            .convert_columns(columns)
            .map_err(arrow_err("grouping"))?;
        for row in converted.iter() {
            let key = row.as_ref();
            let hash = self.hasher.hash_one(key);
            ids.push(
                self.table
                    .find(hash, |&g| self.keys.row(g).as_ref() == key)
                    .copied(),
            );
        }
        Ok(())
    }

    /// Groups so far.
    pub(crate) fn count(&self) -> usize {
        self.keys.num_rows().max(self.keyless)
    }

    /// The key columns, one row per group in group order.
    pub(crate) fn key_columns(&self) -> Result<Vec<ArrayRef>> {
        self.converter
            .convert_rows(&self.keys)
            .map_err(arrow_err("grouping"))
    }
}
