//! Row predicates: the tree that `filter` takes, built in code or parsed from text.
//!
//! Predicates follow SQL semantics: a comparison with a null is null, and a row is kept only
//! when the predicate is true.

use std::fmt;
use std::ops::Range;

/// A literal value in a predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string, compared bytewise.
    Str(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::Str(s.to_owned())
    }
}
impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::Str(s)
    }
}
impl From<i64> for Literal {
    fn from(i: i64) -> Self {
        Literal::Int(i)
    }
}
impl From<i32> for Literal {
    fn from(i: i32) -> Self {
        Literal::Int(i64::from(i))
    }
}
impl From<f64> for Literal {
    fn from(x: f64) -> Self {
        Literal::Float(x)
    }
}
impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Bool(b)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=` (also `<>`)
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

impl CmpOp {
    /// The operator with its operands swapped (`5 < x` is `x > 5`).
    pub fn flipped(self) -> Self {
        match self {
            CmpOp::Eq | CmpOp::NotEq => self,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        }
    }
}

/// A column reference with the byte range where the predicate text named it, if parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    /// Column name.
    pub name: String,
    /// Byte range of the name in the parsed text.
    pub span: Option<Range<usize>>,
}

impl ColumnRef {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            span: None,
        }
    }
}

/// A boolean predicate over a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `column op literal`
    Compare {
        /// The column.
        column: ColumnRef,
        /// The operator.
        op: CmpOp,
        /// The literal.
        value: Literal,
    },
    /// `column [NOT] IN (literals)`
    InList {
        /// The column.
        column: ColumnRef,
        /// The literals.
        values: Vec<Literal>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `column IS [NOT] NULL`
    IsNull {
        /// The column.
        column: ColumnRef,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// The negation.
    Not(Box<Expr>),
}

/// Starts a predicate on a column: `col("task").eq("arc_challenge")`.
pub fn col(name: &str) -> Col {
    Col(ColumnRef::new(name))
}

/// A column about to be compared; see [`col`].
#[derive(Debug, Clone)]
pub struct Col(ColumnRef);

impl Col {
    fn cmp(self, op: CmpOp, value: impl Into<Literal>) -> Expr {
        Expr::Compare {
            column: self.0,
            op,
            value: value.into(),
        }
    }
    /// `column = value`
    pub fn eq(self, value: impl Into<Literal>) -> Expr {
        self.cmp(CmpOp::Eq, value)
    }
    /// `column != value`
    pub fn not_eq(self, value: impl Into<Literal>) -> Expr {
        self.cmp(CmpOp::NotEq, value)
    }
    /// `column < value`
    pub fn lt(self, value: impl Into<Literal>) -> Expr {
        self.cmp(CmpOp::Lt, value)
    }
    /// `column <= value`
    pub fn lt_eq(self, value: impl Into<Literal>) -> Expr {
        self.cmp(CmpOp::LtEq, value)
    }
    /// `column > value`
    pub fn gt(self, value: impl Into<Literal>) -> Expr {
        self.cmp(CmpOp::Gt, value)
    }
    /// `column >= value`
    pub fn gt_eq(self, value: impl Into<Literal>) -> Expr {
        self.cmp(CmpOp::GtEq, value)
    }
    /// `column IN (values)`
    pub fn in_list<L: Into<Literal>>(self, values: impl IntoIterator<Item = L>) -> Expr {
        Expr::InList {
            column: self.0,
            values: values.into_iter().map(Into::into).collect(),
            negated: false,
        }
    }
    /// `column IS NULL`
    pub fn is_null(self) -> Expr {
        Expr::IsNull {
            column: self.0,
            negated: false,
        }
    }
    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Expr {
        Expr::IsNull {
            column: self.0,
            negated: true,
        }
    }
}

impl Expr {
    /// `self AND other`
    pub fn and(self, other: Expr) -> Expr {
        Expr::And(Box::new(self), Box::new(other))
    }
    /// `self OR other`
    pub fn or(self, other: Expr) -> Expr {
        Expr::Or(Box::new(self), Box::new(other))
    }
    /// `NOT self`
    #[allow(clippy::should_implement_trait)] // reason: mirrors `and`/`or` as a builder method
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// Conjunction of all predicates; `None` for an empty list.
    pub fn all(exprs: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        exprs.into_iter().reduce(Expr::and)
    }

    /// Every column the predicate reads, each once, in first-use order.
    pub fn columns(&self) -> Vec<&ColumnRef> {
        let mut out: Vec<&ColumnRef> = Vec::new();
        self.visit_columns(&mut |c| {
            if !out.iter().any(|o| o.name == c.name) {
                out.push(c);
            }
        });
        out
    }

    fn visit_columns<'a>(&'a self, f: &mut impl FnMut(&'a ColumnRef)) {
        match self {
            Expr::Compare { column, .. }
            | Expr::InList { column, .. }
            | Expr::IsNull { column, .. } => f(column),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.visit_columns(f);
                b.visit_columns(f);
            }
            Expr::Not(a) => a.visit_columns(f),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Compare { column, op, value } => {
                write!(f, "{} {} {value}", column.name, op.symbol())
            }
            Expr::InList {
                column,
                values,
                negated,
            } => {
                let list: Vec<String> = values.iter().map(ToString::to_string).collect();
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{} {not}IN ({})", column.name, list.join(", "))
            }
            Expr::IsNull { column, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{} IS {not}NULL", column.name)
            }
            Expr::And(a, b) => write!(f, "({a} AND {b})"),
            Expr::Or(a, b) => write!(f, "({a} OR {b})"),
            Expr::Not(a) => write!(f, "NOT {a}"),
        }
    }
}
