//! The predicate language: `task = 'arc_challenge' AND step >= 1000 AND seed IN ('default', 'small')`.
//!
//! Grammar (keywords are case-insensitive):
//!
//! ```text
//! expr      := and (OR and)*
//! and       := unary (AND unary)*
//! unary     := NOT unary | '(' expr ')' | predicate
//! predicate := operand cmp operand            -- one side a column, the other a literal
//!            | column [NOT] IN '(' literal (',' literal)* ')'
//!            | column IS [NOT] NULL
//! cmp       := = | == | != | <> | < | <= | > | >=     -- `==` is `=`, as in DuckDB
//! literal   := 'text' | "text" | number | TRUE | FALSE
//! ```
//!
//! Strings take single or double quotes (a doubled quote escapes it); column names are bare
//! words (`[A-Za-z_][A-Za-z0-9_.]*`) or backquoted (`` `odd name` ``). A bare word where a value
//! belongs (`task = arc_challenge`) is therefore a column; the error says to quote it.
//!
//! A predicate nests at most [`MAX_DEPTH`] levels: parentheses, `NOT`s and the operands of an
//! `AND`/`OR` chain each count one. Every later pass over the expression recurses, so deeper
//! input is refused here with an error instead of overflowing the stack there.

use std::fmt;
use std::ops::Range;

use crate::expr::{CmpOp, ColumnRef, Expr, Literal};

/// A predicate that cannot be parsed or bound, with where it went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ExprError {
    /// What is wrong.
    pub message: String,
    /// Byte range of the offending token in `text`.
    pub span: Range<usize>,
    /// The predicate text.
    pub text: String,
}

impl ExprError {
    pub(crate) fn new(message: impl Into<String>, span: Range<usize>, text: &str) -> Self {
        Self {
            message: message.into(),
            span,
            text: text.to_owned(),
        }
    }

    /// The predicate with a caret line under the offending token.
    pub fn caret(&self) -> String {
        let start = self.span.start.min(self.text.len());
        let width = self.text[start..self.span.end.clamp(start, self.text.len())]
            .chars()
            .count()
            .max(1);
        let pad = self.text[..start].chars().count();
        format!(
            "  {}\n  {}{}",
            self.text,
            " ".repeat(pad),
            "^".repeat(width)
        )
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}\n{}",
            self.message,
            self.span.start,
            self.caret()
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Literal),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    And,
    Or,
    Not,
    In,
    Is,
    Null,
    Bool(bool),
    End,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("column `{s}`"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Op(_) => "an operator".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::And => "AND".into(),
        Tok::Or => "OR".into(),
        Tok::Not => "NOT".into(),
        Tok::In => "IN".into(),
        Tok::Is => "IS".into(),
        Tok::Null => "NULL".into(),
        Tok::Bool(b) => format!("{b}"),
        Tok::End => "end of input".into(),
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, Range<usize>)>, ExprError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'=' => {
                i += if bytes.get(i + 1) == Some(&b'=') {
                    2
                } else {
                    1
                };
                Tok::Op(CmpOp::Eq)
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Op(CmpOp::NotEq)
            }
            b'<' => match bytes.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    Tok::Op(CmpOp::LtEq)
                }
                Some(b'>') => {
                    i += 2;
                    Tok::Op(CmpOp::NotEq)
                }
                _ => {
                    i += 1;
                    Tok::Op(CmpOp::Lt)
                }
            },
            b'>' => {
                if bytes.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Op(CmpOp::GtEq)
                } else {
                    i += 1;
                    Tok::Op(CmpOp::Gt)
                }
            }
            b'\'' | b'"' | b'`' => {
                let quote = c;
                let mut value = Vec::new();
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(ExprError::new(
                                "unterminated quoted text",
                                start..text.len(),
                                text,
                            ));
                        }
                        Some(&b) if b == quote => {
                            if bytes.get(i + 1) == Some(&quote) {
                                value.push(quote);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&b) => {
                            value.push(b);
                            i += 1;
                        }
                    }
                }
                // Quotes are ASCII, so the bytes between them are whole UTF-8 characters.
                let value = String::from_utf8_lossy(&value).into_owned();
                if quote == b'`' {
                    Tok::Ident(value)
                } else {
                    Tok::Str(value)
                }
            }
            b'-' | b'+' | b'.' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'.'
                        || bytes[i] == b'_'
                        || ((bytes[i] == b'-' || bytes[i] == b'+')
                            && matches!(bytes[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                let raw = &text[start..i];
                let clean = raw.replace('_', "");
                if let Ok(n) = clean.parse::<i64>() {
                    Tok::Num(Literal::Int(n))
                } else if let Ok(x) = clean
                    .parse::<f64>()
                    .map_err(|_| ())
                    .and_then(|x| if x.is_finite() { Ok(x) } else { Err(()) })
                {
                    Tok::Num(Literal::Float(x))
                } else {
                    return Err(ExprError::new(
                        format!("`{raw}` is not a number"),
                        start..i,
                        text,
                    ));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                let word = &text[start..i];
                match word.to_ascii_uppercase().as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    "IN" => Tok::In,
                    "IS" => Tok::Is,
                    "NULL" => Tok::Null,
                    "TRUE" => Tok::Bool(true),
                    "FALSE" => Tok::Bool(false),
                    _ => Tok::Ident(word.to_owned()),
                }
            }
            _ => {
                let ch_len = text[start..].chars().next().map_or(1, char::len_utf8);
                return Err(ExprError::new(
                    format!("unexpected character `{}`", &text[start..start + ch_len]),
                    start..start + ch_len,
                    text,
                ));
            }
        };
        out.push((tok, start..i));
    }
    out.push((Tok::End, text.len()..text.len()));
    Ok(out)
}

/// How deeply a parsed predicate may nest; far beyond what anyone writes by hand.
pub const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    /// Parentheses and `NOT`s open around the current token.
    open: usize,
}

/// A parsed sub-expression and the depth of its tree.
type Parsed = (Expr, usize);

impl Parser<'_> {
    fn peek(&self) -> &(Tok, Range<usize>) {
        // `lex` always ends with `End`, and `pos` never moves past it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> (Tok, Range<usize>) {
        let t = self.peek().clone();
        if t.0 != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn err(&self, message: String, span: Range<usize>) -> ExprError {
        ExprError::new(message, span, self.text)
    }

    fn expected(&self, what: &str) -> ExprError {
        let (tok, span) = self.peek();
        self.err(
            format!("expected {what}, found {}", describe(tok)),
            span.clone(),
        )
    }

    fn too_deep(&self, span: Range<usize>) -> ExprError {
        self.err(
            format!(
                "the predicate nests more than {MAX_DEPTH} levels deep (parentheses, NOT, \
                 and operands of AND/OR count one each; a long OR of one column is an IN list)"
            ),
            span,
        )
    }

    /// The depth of a node over children of depth `below`, refused beyond the limit.
    fn node(&self, below: usize, span: &Range<usize>) -> Result<usize, ExprError> {
        if below >= MAX_DEPTH {
            return Err(self.too_deep(span.clone()));
        }
        Ok(below + 1)
    }

    fn or(&mut self) -> Result<Parsed, ExprError> {
        let (mut left, mut depth) = self.and()?;
        while self.peek().0 == Tok::Or {
            let (_, span) = self.bump();
            let (right, right_depth) = self.and()?;
            depth = self.node(depth.max(right_depth), &span)?;
            left = left.or(right);
        }
        Ok((left, depth))
    }

    fn and(&mut self) -> Result<Parsed, ExprError> {
        let (mut left, mut depth) = self.unary()?;
        while self.peek().0 == Tok::And {
            let (_, span) = self.bump();
            let (right, right_depth) = self.unary()?;
            depth = self.node(depth.max(right_depth), &span)?;
            left = left.and(right);
        }
        Ok((left, depth))
    }

    fn unary(&mut self) -> Result<Parsed, ExprError> {
        let (tok, span) = self.peek().clone();
        if matches!(tok, Tok::Not | Tok::LParen) {
            // Checked before recursing: the parser's own stack is what deep input threatens.
            if self.open >= MAX_DEPTH {
                return Err(self.too_deep(span));
            }
            self.open += 1;
            let parsed = match tok {
                Tok::Not => self.not(),
                _ => self.parenthesised(),
            };
            self.open -= 1;
            return parsed;
        }
        Ok((self.predicate()?, 1))
    }

    fn not(&mut self) -> Result<Parsed, ExprError> {
        let (_, span) = self.bump();
        let (inner, depth) = self.unary()?;
        Ok((inner.not(), self.node(depth, &span)?))
    }

    fn parenthesised(&mut self) -> Result<Parsed, ExprError> {
        let (_, open) = self.bump();
        let inner = self.or()?;
        if self.peek().0 != Tok::RParen {
            let (tok, span) = self.peek();
            return Err(self.err(
                format!(
                    "expected `)` to close the `(` at byte {}, found {}",
                    open.start,
                    describe(tok)
                ),
                span.clone(),
            ));
        }
        self.bump();
        Ok(inner)
    }

    fn literal(&mut self) -> Result<Literal, ExprError> {
        match self.peek().0.clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(Literal::Str(s))
            }
            Tok::Num(n) => {
                self.bump();
                Ok(n)
            }
            Tok::Bool(b) => {
                self.bump();
                Ok(Literal::Bool(b))
            }
            Tok::Ident(word) => Err(self.expected(&format!(
                "a string or number literal (quote text: '{word}')"
            ))),
            _ => Err(self.expected("a string or number literal")),
        }
    }

    fn predicate(&mut self) -> Result<Expr, ExprError> {
        let (tok, span) = self.peek().clone();
        match tok {
            Tok::Ident(name) => {
                self.bump();
                let column = ColumnRef {
                    name,
                    span: Some(span),
                };
                self.after_column(column)
            }
            Tok::Str(_) | Tok::Num(_) | Tok::Bool(_) => {
                let value = self.literal()?;
                let (tok, op_span) = self.peek().clone();
                let Tok::Op(op) = tok else {
                    return Err(self.err(
                        format!(
                            "expected a comparison operator after a literal, found {}",
                            describe(&tok)
                        ),
                        op_span,
                    ));
                };
                self.bump();
                let (tok, col_span) = self.peek().clone();
                let Tok::Ident(name) = tok else {
                    return Err(
                        self.expected("a column name (one side of a comparison must be a column)")
                    );
                };
                self.bump();
                Ok(Expr::Compare {
                    column: ColumnRef {
                        name,
                        span: Some(col_span),
                    },
                    op: op.flipped(),
                    value,
                })
            }
            _ => Err(self.expected("a column name, `(` or NOT")),
        }
    }

    fn after_column(&mut self, column: ColumnRef) -> Result<Expr, ExprError> {
        match self.peek().0.clone() {
            Tok::Op(op) => {
                self.bump();
                if let Tok::Ident(other) = &self.peek().0 {
                    let (_, span) = self.peek().clone();
                    let message = format!(
                        "`{other}` is read as a column, and comparing two columns is not \
                         supported; to compare with the text, quote it: {} {} '{other}'",
                        column.name,
                        op.symbol()
                    );
                    return Err(self.err(message, span));
                }
                let value = self.literal()?;
                Ok(Expr::Compare { column, op, value })
            }
            Tok::Not | Tok::In => {
                let negated = self.peek().0 == Tok::Not;
                if negated {
                    self.bump();
                    if self.peek().0 != Tok::In {
                        return Err(self.expected("IN after NOT"));
                    }
                }
                self.bump();
                if self.peek().0 != Tok::LParen {
                    return Err(self.expected("`(` after IN"));
                }
                self.bump();
                let mut values = vec![self.literal()?];
                loop {
                    match self.peek().0 {
                        Tok::Comma => {
                            self.bump();
                            values.push(self.literal()?);
                        }
                        Tok::RParen => {
                            self.bump();
                            break;
                        }
                        _ => return Err(self.expected("`,` or `)` in the IN list")),
                    }
                }
                Ok(Expr::InList {
                    column,
                    values,
                    negated,
                })
            }
            Tok::Is => {
                self.bump();
                let negated = self.peek().0 == Tok::Not;
                if negated {
                    self.bump();
                }
                if self.peek().0 != Tok::Null {
                    return Err(self.expected("NULL after IS"));
                }
                self.bump();
                Ok(Expr::IsNull { column, negated })
            }
            _ => Err(self.expected(&format!(
                "a comparison, IN or IS NULL after column `{}`",
                column.name
            ))),
        }
    }
}

/// Parses a predicate. Column names are not checked here; [`crate::Scan::filter`] checks them
/// against the table (see also [`parse_for_schema`]).
pub fn parse_predicate(text: &str) -> Result<Expr, ExprError> {
    let toks = lex(text)?;
    let mut p = Parser {
        text,
        toks,
        pos: 0,
        open: 0,
    };
    if p.peek().0 == Tok::End {
        return Err(p.expected("a predicate"));
    }
    let (expr, _) = p.or()?;
    if p.peek().0 != Tok::End {
        return Err(p.expected("AND, OR or the end of the predicate"));
    }
    Ok(expr)
}

/// Parses a predicate and checks every column and literal against a schema, so errors point
/// at the offending token of `text`.
pub fn parse_for_schema(text: &str, schema: &arrow::datatypes::Schema) -> Result<Expr, ExprError> {
    let expr = parse_predicate(text)?;
    crate::eval::check(&expr, schema).map_err(|e| {
        let span = e.span.unwrap_or(0..text.len());
        ExprError::new(e.message, span, text)
    })?;
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::col;

    fn strip(e: Expr) -> String {
        e.to_string()
    }

    #[test]
    fn parses_precedence_and_literals() {
        let e = parse_predicate(
            "task = 'arc' and step >= 1_000 OR NOT (seed in ('a', \"b\")) AND x is not null",
        )
        .expect("parse");
        assert_eq!(
            strip(e),
            "((task = 'arc' AND step >= 1000) OR (NOT seed IN ('a', 'b') AND x IS NOT NULL))"
        );
        let e = parse_predicate("5 < step AND score != -1.5e-1 AND ok = TRUE AND s <> 'it''s'")
            .expect("parse");
        assert_eq!(
            strip(e),
            "(((step > 5 AND score != -0.15) AND ok = true) AND s != 'it''s')"
        );
        assert_eq!(
            parse_predicate("`odd name` NOT IN (1, 2)").expect("parse"),
            Expr::InList {
                column: ColumnRef {
                    name: "odd name".into(),
                    span: Some(0..10)
                },
                values: vec![Literal::Int(1), Literal::Int(2)],
                negated: true
            }
        );
        assert_eq!(
            strip(parse_predicate("a = 1").expect("parse")),
            strip(col("a").eq(1i64))
        );
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        let cases: &[(&str, &str, usize)] = &[
            (
                "task = ",
                "expected a string or number literal, found end of input",
                7,
            ),
            (
                "task == 'a' AND",
                "expected a column name, `(` or NOT, found end of input",
                15,
            ),
            (
                "step >= 1 2",
                "expected AND, OR or the end of the predicate, found number 2",
                10,
            ),
            (
                "(a = 1",
                "expected `)` to close the `(` at byte 0, found end of input",
                6,
            ),
            (
                "a IN (1, )",
                "expected a string or number literal, found `)`",
                9,
            ),
            ("a = 'open", "unterminated quoted text", 4),
            ("a ~ 1", "unexpected character `~`", 2),
            (
                "task = arc_challenge",
                "`arc_challenge` is read as a column, and comparing two columns is not \
                 supported; to compare with the text, quote it: task = 'arc_challenge'",
                7,
            ),
            (
                "task IN ('boolq', piqa)",
                "expected a string or number literal (quote text: 'piqa'), found column `piqa`",
                18,
            ),
            ("a IS 3", "expected NULL after IS, found number 3", 5),
            ("", "expected a predicate, found end of input", 0),
            ("a = 1.2.3", "`1.2.3` is not a number", 4),
        ];
        for (text, msg, at) in cases {
            let err = parse_predicate(text).expect_err(text);
            assert!(err.message.starts_with(msg), "{text}: {}", err.message);
            assert_eq!(err.span.start, *at, "{text}");
        }
        let err = parse_predicate("step >= 1 2").expect_err("junk");
        assert_eq!(
            err.to_string(),
            "expected AND, OR or the end of the predicate, found number 2 at byte 10\n  step >= 1 2\n            ^"
        );
        let err = parse_predicate("task = 'é' AND é").expect_err("bad char");
        assert_eq!(err.caret(), "  task = 'é' AND é\n                 ^");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = 10_000;
        let parens = format!("{}a = 1{}", "(".repeat(deep), ")".repeat(deep));
        let nots = format!("{}a = 1", "NOT ".repeat(deep));
        let ands = vec!["a = 1"; deep].join(" AND ");
        let ors = vec!["(a = 1"; deep].join(" OR ") + &")".repeat(deep);
        for (name, text) in [
            ("parens", parens),
            ("nots", nots),
            ("ands", ands),
            ("ors", ors),
        ] {
            let err = parse_predicate(&text).expect_err(name);
            assert!(
                err.message.contains("nests more than 128 levels"),
                "{name}: {}",
                err.message
            );
            assert!(err.span.start > 0 && err.span.end < text.len(), "{name}");
        }
    }

    #[test]
    fn nesting_up_to_the_limit_parses() {
        let parens = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(strip(parse_predicate(&parens).expect("parens")), "a = 1");
        let nots = format!("{}a = 1", "NOT ".repeat(MAX_DEPTH - 1));
        assert!(parse_predicate(&nots).is_ok());
        let ands = vec!["a = 1"; MAX_DEPTH].join(" AND ");
        assert!(parse_predicate(&ands).is_ok());
        let too_many = vec!["a = 1"; MAX_DEPTH + 1].join(" AND ");
        assert!(parse_predicate(&too_many).is_err());
    }
}
