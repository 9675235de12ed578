//! Rule conditions: CEL expressions over `product` and the plugin's `define`s.
//!
//! The `cel` crate evaluates; it does not type-check. A misspelled field or an `int <
//! string` comparison would surface only when evaluated, and only on the branch that
//! runs. So every condition is checked statically here, when the plugin loads, against
//! the schema the vocabulary gives `product`: an unknown field, a type mismatch or a
//! function conditions may not use is an error at the condition's line and column.
//!
//! **Limits.** The `cel` crate parses, builds and evaluates recursively: its ANTLR parser
//! takes about 140 KB of stack per level of brackets in a debug build (a 2 MB thread
//! overflows at 15 nested parentheses), a chain such as `1 + 1 + …` is as deep in its
//! parse tree as it is long, and its interpreter takes about 38 KB per level of the
//! expression tree in a debug build (1.5 KB in release) on whatever thread evaluates,
//! rayon's 2 MB workers included, where 60 levels overflow. A stack overflow aborts the
//! process, so a condition is bounded before and after parsing, each bound a located
//! error:
//!
//! - at most [`MAX_TOKENS`] tokens (names, literals, operators, brackets), counted by a
//!   lexical scan before the text reaches `cel`: bounds the parser's chains and its time;
//! - brackets and `?:` nested at most [`MAX_NESTING`] deep, by the same scan;
//! - an expression tree at most [`MAX_DEPTH`] deep (a `+` chain is as deep as it is long;
//!   `&&` and `||` chains are balanced, so 2,000 terms are 12 deep), measured without
//!   recursion after parsing and before anything walks the tree.
//!
//! The shipped packs stay far below (at most 2 levels of brackets, a tree 8 deep, 100
//! tokens). Parsing and checking run on a thread of their own with [`COMPILE_STACK`] of
//! stack, which holds a condition at the limits many times over even in a debug build;
//! evaluation runs on the caller's thread, where [`MAX_DEPTH`] keeps it within a 2 MB
//! debug stack.

use cel::common::ast::{CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedEntryExpr, LiteralValue};
use cel::{IdedExpr, Program};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The static type of a condition's sub-expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    Int,
    Double,
    String,
    Null,
    List(Box<Ty>),
    /// A map from string keys (e.g. market codes) to values of one type; a key may be
    /// absent, so conditions guard it with `has(m.KEY)` or `'KEY' in m`.
    Map(Box<Ty>),
    Object(Arc<Schema>),
    /// Unknown statically (an empty list literal); accepted anywhere.
    Dyn,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::Double => f.write_str("double"),
            Ty::String => f.write_str("string"),
            Ty::Null => f.write_str("null"),
            Ty::List(t) => write!(f, "list({t})"),
            Ty::Map(t) => write!(f, "map(string, {t})"),
            Ty::Object(s) => write!(f, "{}", s.name),
            Ty::Dyn => f.write_str("dyn"),
        }
    }
}

/// "an int", "a string": a type with its article, for messages.
struct A<'a>(&'a Ty);

impl fmt::Display for A<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.0.to_string();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        write!(f, "{article} {name}")
    }
}

impl Ty {
    fn numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Double | Ty::Dyn)
    }

    /// Whether values of the two types can be compared for equality.
    fn comparable(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Dyn, _) | (_, Ty::Dyn) => true,
            (a, b) if a.numeric() && b.numeric() => true,
            (Ty::List(a), Ty::List(b)) => a.comparable(b),
            // Two parties (a product's importer, its manufacturer) are one type.
            (Ty::Object(a), Ty::Object(b)) => Arc::ptr_eq(a, b) || a == b,
            (a, b) => a == b,
        }
    }
}

/// A field of an object: its type, and whether a record may leave it out (then a
/// condition must guard it with `has()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub ty: Ty,
    pub optional: bool,
}

/// The fields of an object type, e.g. `product` or `product.age`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// How the object is named in messages: `product.attributes`.
    pub name: String,
    pub fields: BTreeMap<String, Field>,
}

/// What names a condition may use, with their types.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    names: BTreeMap<String, Ty>,
}

impl Scope {
    pub fn with(mut self, name: &str, ty: Ty) -> Self {
        self.names.insert(name.to_string(), ty);
        self
    }

    pub fn insert(&mut self, name: &str, ty: Ty) {
        self.names.insert(name.to_string(), ty);
    }
}

/// A type error, at a byte offset in the condition's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub offset: usize,
    pub message: String,
}

/// A compiled, checked condition.
#[derive(Debug)]
pub struct Condition {
    pub source: String,
    program: Program,
    /// The `product.…` paths and define names it reads, for `--explain`.
    pub reads: Vec<String>,
    /// What its value can depend on, finer than `reads`: the same paths, but where a
    /// macro runs over a list named by a path, what its body reads of each item, as
    /// `product.evidence.[].result` (`[]`: every item), and where a path is only tested
    /// (`has(product.image)`: `product.image.?`) or measured (`size(product.model)`:
    /// `product.model.#`), only that. Otherwise a path names the whole value there
    /// (`product.age` covers `product.age.min_months`); see [`collect_paths`].
    /// The assessment keys its memo of a pack's decisions on them.
    pub paths: Vec<String>,
}

impl Condition {
    /// The segment of a path in [`Condition::paths`] that stands for every item of a
    /// list (no CEL name is `[]`).
    pub const ITEMS: &str = "[]";

    /// The last segment of a path in [`Condition::paths`] that reads only whether the
    /// field before it is there (`has()`).
    pub const PRESENCE: &str = "?";

    /// The last segment of a path in [`Condition::paths`] that reads only the size of
    /// the value before it (`size()`).
    pub const SIZE: &str = "#";

    /// Parses `source` and checks it in `scope`; returns the condition and its type.
    ///
    /// The text is bounded first (see the module docs); the parse and the check then run
    /// on a thread with a stack of [`COMPILE_STACK`], so neither depends on the stack of
    /// the thread that loads the plugins.
    pub fn compile(source: &str, scope: &Scope) -> Result<(Condition, Ty), ConditionError> {
        precheck(source)?;
        std::thread::scope(|s| {
            let worker = std::thread::Builder::new()
                .name("cel-compile".into())
                .stack_size(COMPILE_STACK)
                .spawn_scoped(s, || Condition::compile_here(source, scope))
                .map_err(|e| ConditionError {
                    offset: 0,
                    message: format!("cannot start a thread to compile the condition: {e}"),
                })?;
            // The compiler does not panic; if the parser ever did, that is this
            // condition's error rather than the build's crash.
            worker.join().unwrap_or_else(|_| {
                Err(ConditionError {
                    offset: 0,
                    message: "the CEL parser failed on this condition".into(),
                })
            })
        })
    }

    /// [`Condition::compile`] on the current thread, once the text is within the limits.
    fn compile_here(source: &str, scope: &Scope) -> Result<(Condition, Ty), ConditionError> {
        let program = Program::compile(source).map_err(|e| ConditionError {
            offset: 0,
            message: format!("not a valid CEL expression: {}", first_line(&e.to_string())),
        })?;
        // Before the checker, `collect_reads` or the interpreter recurse over the tree.
        if let Some(deep) = deeper_than(program.expression(), MAX_DEPTH) {
            let offset = program
                .source_info()
                .offset_for(deep.id)
                .map_or(0, |(start, _)| start as usize);
            return Err(ConditionError {
                offset,
                message: format!(
                    "this condition nests operations more than {MAX_DEPTH} levels deep \
                     (a long chain such as `a + b + c + …` counts one level per operator); \
                     split it into `define`s"
                ),
            });
        }
        let checker = Checker {
            scope,
            program: &program,
            locals: Vec::new(),
        };
        let ty = checker.check(program.expression())?;
        let mut reads = Vec::new();
        collect_reads(program.expression(), &mut reads);
        reads.sort();
        reads.dedup();
        let mut paths = Vec::new();
        collect_paths(program.expression(), true, &mut paths);
        paths.sort();
        paths.dedup();
        Ok((
            Condition {
                source: source.to_string(),
                program,
                reads,
                paths,
            },
            ty,
        ))
    }

    /// Evaluates in `context` (which binds `product` and the defines).
    pub fn eval(&self, context: &cel::Context) -> Result<cel::Value, String> {
        self.program.execute(context).map_err(|e| e.to_string())
    }

    /// Evaluates a condition that checked as `bool`.
    pub fn holds(&self, context: &cel::Context) -> Result<bool, String> {
        match self.eval(context)? {
            cel::Value::Bool(b) => Ok(b),
            other => Err(format!("expected true or false, got {other:?}")),
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The most tokens a condition may have (the shipped packs' longest has about 100).
pub const MAX_TOKENS: usize = 4096;

/// How deep brackets and `?:` may nest in a condition's text (the shipped packs: 2).
pub const MAX_NESTING: usize = 32;

/// How deep a condition's expression tree may be (the shipped packs: 8). The interpreter
/// recurses once per level on the evaluating thread: 32 levels take about 1.2 MB in a
/// debug build, within the 2 MB of a rayon worker.
pub const MAX_DEPTH: usize = 32;

/// The stack of the thread that parses and checks a condition. A condition at the limits
/// (32 levels of brackets around chains of 4,096 tokens) needs under 8 MB in a debug
/// build and a fraction of that in release; the memory is reserved, not touched.
pub const COMPILE_STACK: usize = 64 << 20;

/// Checks the text of a condition against [`MAX_TOKENS`] and [`MAX_NESTING`] before it
/// reaches the `cel` parser, with a scan of its own that recurses nowhere. The scan
/// follows the CEL grammar's lexical rules (strings with their prefixes, escapes and
/// triple quotes, comments, escaped identifiers) so that brackets inside a string or a
/// comment are not counted and brackets in code are never missed: where the CEL lexer
/// would reject a malformed string, so does the scan, and it reads on as code.
fn precheck(src: &str) -> Result<(), ConditionError> {
    let b = src.as_bytes();
    // Error offsets count characters, as the plugin.yaml column does.
    let at = |byte: usize, message: String| ConditionError {
        offset: src[..byte].chars().count(),
        message,
    };
    // One frame per open bracket (the root has none), with the `?` seen at its level
    // since its last `,`: `a ? b : c ? d : e` nests its second `?:` in the first.
    let mut frames: Vec<(u8, usize)> = vec![(0, 0)];
    let mut nesting = 0usize;
    let mut tokens = 0usize;
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0c => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' => i = string_end(b, i, false).unwrap_or(i + 1),
            b'r' | b'R' | b'b' | b'B' => {
                // A string prefix (`r'…'`, `b"…"`, `br'…'`) or a name.
                let mut q = i + usize::from(matches!(c, b'b' | b'B'));
                let raw = matches!(b.get(q), Some(b'r' | b'R'));
                q += usize::from(raw);
                i = match b.get(q) {
                    Some(b'\'' | b'"') => string_end(b, q, raw).unwrap_or_else(|| name_end(b, i)),
                    _ => name_end(b, i),
                };
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => i = name_end(b, i),
            b'0'..=b'9' => i = number_end(b, i),
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i = number_end(b, i),
            b'`' => {
                // An escaped name may hold `//`, which is not a comment there.
                let body = b[i + 1..]
                    .iter()
                    .take_while(|&&c| c.is_ascii_alphanumeric() || b"_.-/ ".contains(&c))
                    .count();
                i += if body > 0 && b.get(i + 1 + body) == Some(&b'`') {
                    body + 2
                } else {
                    1
                };
            }
            b'(' | b'[' | b'{' | b'?' => {
                if c == b'?' {
                    if let Some(top) = frames.last_mut() {
                        top.1 += 1;
                    }
                } else {
                    frames.push((c, 0));
                }
                nesting += 1;
                if nesting > MAX_NESTING {
                    return Err(at(
                        i,
                        format!(
                            "this condition nests brackets and `?:` more than {MAX_NESTING} \
                             levels deep; split it into `define`s"
                        ),
                    ));
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                let opener = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // Only a matching bracket closes: a stray one leaves the count high,
                // never low (the parser reports it).
                if frames.len() > 1
                    && frames.last().is_some_and(|f| f.0 == opener)
                    && let Some((_, ternaries)) = frames.pop()
                {
                    nesting -= 1 + ternaries;
                }
                i += 1;
            }
            b',' => {
                if let Some(top) = frames.last_mut() {
                    nesting -= top.1;
                    top.1 = 0;
                }
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' if b.get(i + 1) == Some(&b'=') => i += 2,
            b'&' | b'|' if b.get(i + 1) == Some(&c) => i += 2,
            _ => {
                // One character, whole (a stray non-ASCII one is a single token).
                i += src[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
        tokens += 1;
        if tokens > MAX_TOKENS {
            return Err(at(
                start,
                format!(
                    "this condition is longer than {MAX_TOKENS} tokens (names, literals and \
                     operators); split it into `define`s"
                ),
            ));
        }
    }
    Ok(())
}

/// The end of the name starting at `i`.
fn name_end(b: &[u8], i: usize) -> usize {
    i + b[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

/// The end of the number starting at `i` (a digit, or `.` and a digit): `0x1F`, `12u`,
/// `1.5e-3`, `.5`. Only its extent matters here: where it stops, the next token starts
/// (`0xbr'…'` is a number and a raw string).
fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |b: &[u8], i: usize, hex: bool| {
        b[i..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count()
    };
    let exponent = |b: &[u8], i: usize| {
        if !matches!(b.get(i), Some(b'e' | b'E')) {
            return 0;
        }
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        match digits(b, i + 1 + sign, false) {
            0 => 0,
            n => 1 + sign + n,
        }
    };
    let unsigned = |b: &[u8], i: usize| usize::from(matches!(b.get(i), Some(b'u' | b'U')));
    if b[i] == b'.' {
        i += 1 + digits(b, i + 1, false);
        return i + exponent(b, i);
    }
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        let n = digits(b, i + 2, true);
        if n > 0 {
            i += 2 + n;
            return i + unsigned(b, i);
        }
    }
    i += digits(b, i, false);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1 + digits(b, i + 1, false);
        return i + exponent(b, i);
    }
    match exponent(b, i) {
        0 => i + unsigned(b, i),
        n => i + n,
    }
}

/// The end of the string literal whose opening quote is at `q` (`raw` after an `r`
/// prefix), or `None` where the CEL lexer matches no string: an unterminated one, a line
/// break in a single-quoted one, an unknown escape. A triple quote that is never closed
/// is, as for the CEL lexer, an empty string and a quote.
fn string_end(b: &[u8], q: usize, raw: bool) -> Option<usize> {
    let quote = b[q];
    let triple = [quote; 3];
    if b[q..].starts_with(&triple)
        && let Some(end) = string_body_end(b, q + 3, quote, true, raw)
    {
        return Some(end);
    }
    string_body_end(b, q + 1, quote, false, raw)
}

fn string_body_end(b: &[u8], mut i: usize, quote: u8, triple: bool, raw: bool) -> Option<usize> {
    while i < b.len() {
        if triple {
            if b[i..].starts_with(&[quote; 3]) {
                return Some(i + 3);
            }
        } else if b[i] == quote {
            return Some(i + 1);
        } else if b[i] == b'\n' || b[i] == b'\r' {
            return None;
        }
        i += if b[i] == b'\\' && !raw {
            escape_len(&b[i..])?
        } else {
            1
        };
    }
    None
}

/// The length of the escape sequence at the start of `b` (which starts with `\`).
fn escape_len(b: &[u8]) -> Option<usize> {
    let hex =
        |n: usize| (b.len() > n && b[2..=n].iter().all(u8::is_ascii_hexdigit)).then_some(n + 1);
    match b.get(1)? {
        b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'"' | b'\'' | b'\\' | b'?' | b'`' => {
            Some(2)
        }
        b'x' | b'X' => hex(3),
        b'u' => hex(5),
        b'U' => hex(9),
        b'0'..=b'3' => {
            (b.len() > 3 && b[2..4].iter().all(|c| (b'0'..=b'7').contains(c))).then_some(4)
        }
        _ => None,
    }
}

/// A node deeper than `max` levels in the expression tree, found without recursion.
fn deeper_than(root: &IdedExpr, max: usize) -> Option<&IdedExpr> {
    let mut stack = vec![(root, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > max {
            return Some(e);
        }
        let below = depth + 1;
        match &e.expr {
            Expr::Call(call) => {
                stack.extend(call.target.iter().map(|t| (&**t, below)));
                stack.extend(call.args.iter().map(|a| (a, below)));
            }
            Expr::Select(sel) => stack.push((&sel.operand, below)),
            Expr::List(list) => stack.extend(list.elements.iter().map(|i| (i, below))),
            Expr::Map(map) => stack.extend(entries(&map.entries).map(|i| (i, below))),
            Expr::Struct(st) => stack.extend(entries(&st.entries).map(|i| (i, below))),
            Expr::Comprehension(c) => stack.extend(
                [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ]
                .map(|i| (i, below)),
            ),
            Expr::Literal(_) | Expr::Ident(_) | Expr::Unspecified => {}
        }
    }
    None
}

/// The expressions of map or message entries: keys and values.
fn entries(entries: &[IdedEntryExpr]) -> impl Iterator<Item = &IdedExpr> {
    entries.iter().flat_map(|e| match &e.expr {
        EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
        EntryExpr::StructField(f) => vec![&f.value],
    })
}

struct Checker<'a> {
    scope: &'a Scope,
    program: &'a Program,
    /// The variables of the macros (`all`, `exists`, ...) around the expression being
    /// checked, innermost last: the item variable and the macro's accumulator.
    locals: Vec<(String, Ty)>,
}

impl Checker<'_> {
    fn err<T>(&self, e: &IdedExpr, message: String) -> Result<T, ConditionError> {
        let offset = self
            .program
            .source_info()
            .offset_for(e.id)
            .map_or(0, |(start, _)| start as usize);
        Err(ConditionError { offset, message })
    }

    fn check(&self, e: &IdedExpr) -> Result<Ty, ConditionError> {
        match &e.expr {
            Expr::Literal(l) => Ok(match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Ty::Int,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::Null => Ty::Null,
                LiteralValue::Bytes(_) => {
                    return self.err(e, "bytes are not used in conditions".into());
                }
            }),
            Expr::Ident(name) => match self
                .locals
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t)
                .or_else(|| self.scope.names.get(name))
            {
                Some(t) => Ok(t.clone()),
                None => {
                    let known: Vec<&str> = self.scope.names.keys().map(String::as_str).collect();
                    self.err(
                        e,
                        format!(
                            "unknown name `{name}`; conditions can use {}",
                            known.join(", ")
                        ),
                    )
                }
            },
            Expr::Select(sel) => {
                let operand = self.check(&sel.operand)?;
                if let Ty::Map(value) = &operand {
                    return Ok(if sel.test {
                        Ty::Bool
                    } else {
                        (**value).clone()
                    });
                }
                let Ty::Object(schema) = operand else {
                    return self.err(
                        e,
                        format!("`.{}` on {}, which has no fields", sel.field, A(&operand)),
                    );
                };
                let Some(field) = schema.fields.get(&sel.field) else {
                    let known: Vec<&str> = schema.fields.keys().map(String::as_str).collect();
                    return self.err(
                        e,
                        format!(
                            "`{}` has no field `{}`; declared: {}",
                            schema.name,
                            sel.field,
                            known.join(", ")
                        ),
                    );
                };
                Ok(if sel.test { Ty::Bool } else { field.ty.clone() })
            }
            Expr::List(list) => {
                let mut elem = Ty::Dyn;
                for item in &list.elements {
                    let t = self.check(item)?;
                    if elem == Ty::Dyn {
                        elem = t;
                    } else if !elem.comparable(&t) {
                        return self.err(item, format!("a list mixes {elem} and {t}"));
                    }
                }
                Ok(Ty::List(Box::new(elem)))
            }
            Expr::Call(call) => self.call(e, call),
            Expr::Comprehension(c) => self.comprehension(e, c),
            Expr::Map(_) | Expr::Struct(_) | Expr::Unspecified => self.err(
                e,
                "map and message literals are not used in conditions".into(),
            ),
        }
    }

    /// A macro over a list (`all`, `exists`, `exists_one`, `map`, `filter`), which the
    /// parser expands into a loop: the item variable takes the list's item type, so a
    /// condition over `product.evidence` is checked field by field like any other.
    fn comprehension(&self, e: &IdedExpr, c: &ComprehensionExpr) -> Result<Ty, ConditionError> {
        if c.iter_var2.is_some() {
            return self.err(
                e,
                "macros with two variables are not used in conditions".into(),
            );
        }
        let item = match self.check(&c.iter_range)? {
            Ty::List(item) => *item,
            Ty::Map(_) => Ty::String,
            Ty::Dyn => Ty::Dyn,
            other => {
                return self.err(
                    &c.iter_range,
                    format!(
                        "all(), exists(), map() and filter() need a list, but this is {}",
                        A(&other)
                    ),
                );
            }
        };
        let within = |accu: Ty| {
            let mut locals = self.locals.clone();
            locals.push((c.iter_var.clone(), item.clone()));
            locals.push((c.accu_var.clone(), accu));
            Checker {
                scope: self.scope,
                program: self.program,
                locals,
            }
        };
        let accu = self.check(&c.accu_init)?;
        // A map's keys come in no fixed order: `map()` or `filter()` over one would give
        // a list whose order changes from run to run (`all()` and `exists()` do not).
        if matches!(accu, Ty::List(_)) && matches!(self.check(&c.iter_range)?, Ty::Map(_)) {
            return self.err(
                &c.iter_range,
                "map() and filter() run over lists: a map's keys have no order".into(),
            );
        }
        let body = within(accu.clone());
        body.expect(&c.loop_cond, &Ty::Bool, "the loop of a macro")?;
        let step = body.check(&c.loop_step)?;
        if !step.comparable(&accu) {
            return self.err(
                e,
                format!("this macro's step gives {}, not {}", A(&step), A(&accu)),
            );
        }
        // `map()` and `filter()` start from `[]`: the step tells the item type.
        let accu = if accu == Ty::List(Box::new(Ty::Dyn)) {
            step
        } else {
            accu
        };
        within(accu).check(&c.result)
    }

    fn expect(&self, e: &IdedExpr, want: &Ty, what: &str) -> Result<(), ConditionError> {
        let got = self.check(e)?;
        if got == *want || got == Ty::Dyn {
            Ok(())
        } else {
            self.err(
                e,
                format!("{what} needs {}, but this is {}", A(want), A(&got)),
            )
        }
    }

    fn call(&self, e: &IdedExpr, call: &CallExpr) -> Result<Ty, ConditionError> {
        let args = &call.args;
        match (call.func_name.as_str(), &call.target, args.len()) {
            ("_&&_" | "_||_", None, 2) => {
                let op = if call.func_name == "_&&_" { "&&" } else { "||" };
                self.expect(&args[0], &Ty::Bool, op)?;
                self.expect(&args[1], &Ty::Bool, op)?;
                Ok(Ty::Bool)
            }
            ("!_", None, 1) => {
                self.expect(&args[0], &Ty::Bool, "!")?;
                Ok(Ty::Bool)
            }
            // The loop condition of `all()` and `exists()`, as the parser expands them.
            ("@not_strictly_false", None, 1) => {
                self.expect(&args[0], &Ty::Bool, "a macro")?;
                Ok(Ty::Bool)
            }
            ("_==_" | "_!=_", None, 2) => {
                let (a, b) = (self.check(&args[0])?, self.check(&args[1])?);
                if a.comparable(&b) || a == Ty::Null || b == Ty::Null {
                    Ok(Ty::Bool)
                } else {
                    self.err(e, format!("compares {} with {}: never equal", A(&a), A(&b)))
                }
            }
            ("_<_" | "_<=_" | "_>_" | "_>=_", None, 2) => {
                let (a, b) = (self.check(&args[0])?, self.check(&args[1])?);
                let ok = (a.numeric() && b.numeric()) || (a == Ty::String && b == Ty::String);
                if ok {
                    Ok(Ty::Bool)
                } else {
                    self.err(e, format!("cannot order {} against {}", A(&a), A(&b)))
                }
            }
            ("@in", None, 2) => {
                let (item, list) = (self.check(&args[0])?, self.check(&args[1])?);
                match list {
                    Ty::List(elem) if elem.comparable(&item) => Ok(Ty::Bool),
                    Ty::Map(_) if item == Ty::String || item == Ty::Dyn => Ok(Ty::Bool),
                    Ty::List(elem) => {
                        self.err(e, format!("looks for {} in a list of {elem}", A(&item)))
                    }
                    Ty::Dyn => Ok(Ty::Bool),
                    other => self.err(
                        &args[1],
                        format!("`in` needs a list, but this is {}", A(&other)),
                    ),
                }
            }
            ("_+_" | "_-_" | "_*_" | "_/_" | "_%_", None, 2) => {
                let (a, b) = (self.check(&args[0])?, self.check(&args[1])?);
                match (&a, &b) {
                    (Ty::String, Ty::String) if call.func_name == "_+_" => Ok(Ty::String),
                    // Lists join only in the expansion of `map()` and `filter()`.
                    (Ty::List(x), Ty::List(y)) if call.func_name == "_+_" && x.comparable(y) => {
                        Ok(Ty::List(Box::new(if **x == Ty::Dyn {
                            (**y).clone()
                        } else {
                            (**x).clone()
                        })))
                    }
                    (x, y) if x.numeric() && y.numeric() => {
                        Ok(if *x == Ty::Double || *y == Ty::Double {
                            Ty::Double
                        } else {
                            Ty::Int
                        })
                    }
                    _ => self.err(e, format!("arithmetic on {} and {}", A(&a), A(&b))),
                }
            }
            ("-_", None, 1) => {
                let t = self.check(&args[0])?;
                if t.numeric() {
                    Ok(t)
                } else {
                    self.err(e, format!("negates {}", A(&t)))
                }
            }
            ("_?_:_", None, 3) => {
                self.expect(&args[0], &Ty::Bool, "the condition of `?:`")?;
                let (a, b) = (self.check(&args[1])?, self.check(&args[2])?);
                if a.comparable(&b) {
                    Ok(a)
                } else {
                    self.err(e, format!("`?:` gives {} or {}", A(&a), A(&b)))
                }
            }
            ("size", target, n) if n + usize::from(target.is_some()) == 1 => {
                let Some(on) = target.as_deref().or(args.first()) else {
                    return self.err(e, "size() needs one argument".into());
                };
                match self.check(on)? {
                    Ty::String | Ty::List(_) | Ty::Map(_) | Ty::Dyn => Ok(Ty::Int),
                    other => self.err(on, format!("size() of {}", A(&other))),
                }
            }
            ("contains" | "startsWith" | "endsWith", Some(target), 1) => {
                self.expect(target, &Ty::String, &format!("{}()", call.func_name))?;
                self.expect(&args[0], &Ty::String, &format!("{}()", call.func_name))?;
                Ok(Ty::Bool)
            }
            ("_[_]", None, 2) => match (self.check(&args[0])?, self.check(&args[1])?) {
                (Ty::List(elem), Ty::Int | Ty::Dyn) => Ok(*elem),
                (t, i) => self.err(e, format!("indexes {} with {}", A(&t), A(&i))),
            },
            (name, _, _) => self.err(
                e,
                format!(
                    "`{}` is not available in conditions",
                    name.trim_matches('_')
                ),
            ),
        }
    }
}

/// The `product.…` paths and plain names an expression reads.
fn collect_reads(e: &IdedExpr, out: &mut Vec<String>) {
    match &e.expr {
        Expr::Ident(name) => out.push(name.clone()),
        Expr::Select(sel) => match path_of(e) {
            Some(p) => out.push(p),
            None => collect_reads(&sel.operand, out),
        },
        Expr::Call(call) => {
            if let Some(t) = &call.target {
                collect_reads(t, out);
            }
            for a in &call.args {
                collect_reads(a, out);
            }
        }
        Expr::List(list) => list.elements.iter().for_each(|i| collect_reads(i, out)),
        // The list a macro runs over and what its body reads, less the macro's own
        // variables (the list already says what they are read from).
        Expr::Comprehension(c) => {
            // The list and the start value are read outside the macro's variables.
            collect_reads(&c.iter_range, out);
            collect_reads(&c.accu_init, out);
            let mut inner = Vec::new();
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                collect_reads(part, &mut inner);
            }
            let own = |r: &String| {
                [&c.iter_var, &c.accu_var].iter().any(|v| {
                    r == *v
                        || r.strip_prefix(v.as_str())
                            .is_some_and(|t| t.starts_with('.'))
                })
            };
            out.extend(inner.into_iter().filter(|r| !own(r)));
        }
        _ => {}
    }
}

/// What the value of `e` can depend on, as paths from the names it reads (see
/// [`Condition::paths`]). A path read as a value covers everything under it; where
/// `refine` holds, [`collect_reads`] is refined three ways. `has(P.f)` gives `P.f.?`
/// and `size(P)` gives `P.#`: those read nothing else of the value. A macro over a path
/// `P` (`P.all(x, …)`) depends on how many items `P` has and on what the body reads of
/// its item variable, so `x.a.b` becomes `P.[].a.b`, and a bare `x` (the item itself, as
/// `filter()` keeps it) becomes `P.[]`. A macro over anything else (another macro's
/// result, whose items are whole values of some list) is read without refinement inside
/// its range, so every list it draws items from is covered whole.
fn collect_paths(e: &IdedExpr, refine: bool, out: &mut Vec<String>) {
    match &e.expr {
        Expr::Ident(name) => out.push(name.clone()),
        // `has(P.f)` reads only whether `f` is there.
        Expr::Select(sel) if sel.test && refine => match path_of(&sel.operand) {
            Some(p) => out.push(format!("{p}.{}.{}", sel.field, Condition::PRESENCE)),
            None => collect_paths(&sel.operand, refine, out),
        },
        Expr::Select(sel) => match path_of(e) {
            Some(p) => out.push(p),
            None => collect_paths(&sel.operand, refine, out),
        },
        Expr::Call(call) => {
            // `size(P)` and `P.size()` read only how long `P` is.
            let sized = match (call.func_name.as_str(), &call.target, &call.args[..]) {
                ("size", Some(on), []) if refine => path_of(on),
                ("size", None, [on]) if refine => path_of(on),
                _ => None,
            };
            if let Some(p) = sized {
                out.push(format!("{p}.{}", Condition::SIZE));
                return;
            }
            if let Some(t) = &call.target {
                collect_paths(t, refine, out);
            }
            for a in &call.args {
                collect_paths(a, refine, out);
            }
        }
        Expr::List(list) => list
            .elements
            .iter()
            .for_each(|i| collect_paths(i, refine, out)),
        Expr::Comprehension(c) => {
            let range = if refine { path_of(&c.iter_range) } else { None };
            match &range {
                // The items are read through the item variable: the range itself only
                // for how many items it has, which `P.[]…` keeps.
                Some(_) => {}
                None => collect_paths(&c.iter_range, false, out),
            }
            collect_paths(&c.accu_init, refine, out);
            let mut inner = Vec::new();
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                collect_paths(part, refine, &mut inner);
            }
            let under = |r: &str, v: &str| -> Option<String> {
                if r == v {
                    Some(String::new())
                } else {
                    r.strip_prefix(v)
                        .filter(|t| t.starts_with('.'))
                        .map(str::to_string)
                }
            };
            let mut items = false;
            for r in inner {
                if under(&r, &c.accu_var).is_some() {
                    continue;
                }
                match under(&r, &c.iter_var) {
                    Some(rest) => {
                        if let Some(p) = &range {
                            items = true;
                            out.push(format!("{p}.{}{rest}", Condition::ITEMS));
                        }
                    }
                    None => out.push(r),
                }
            }
            // A body that reads nothing of its items still depends on how many there are.
            if let (Some(p), false) = (&range, items) {
                out.push(p.clone());
            }
        }
        _ => {}
    }
}

/// `product.age.min_months` for a chain of selects on an identifier.
fn path_of(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(sel) => path_of(&sel.operand).map(|p| format!("{p}.{}", sel.field)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product_scope() -> Scope {
        let age = Schema {
            name: "product.age".into(),
            fields: [
                (
                    "min_months".to_string(),
                    Field {
                        ty: Ty::Int,
                        optional: false,
                    },
                ),
                (
                    "max_months".to_string(),
                    Field {
                        ty: Ty::Int,
                        optional: true,
                    },
                ),
            ]
            .into_iter()
            .collect(),
        };
        let attributes = Schema {
            name: "product.attributes".into(),
            fields: [(
                "painted".to_string(),
                Field {
                    ty: Ty::Bool,
                    optional: false,
                },
            )]
            .into_iter()
            .collect(),
        };
        let product = Schema {
            name: "product".into(),
            fields: [
                (
                    "age".to_string(),
                    Field {
                        ty: Ty::Object(Arc::new(age)),
                        optional: true,
                    },
                ),
                (
                    "attributes".to_string(),
                    Field {
                        ty: Ty::Object(Arc::new(attributes)),
                        optional: false,
                    },
                ),
                (
                    "categories".to_string(),
                    Field {
                        ty: Ty::List(Box::new(Ty::String)),
                        optional: false,
                    },
                ),
                (
                    "importers".to_string(),
                    Field {
                        ty: Ty::Map(Box::new(Ty::String)),
                        optional: false,
                    },
                ),
            ]
            .into_iter()
            .collect(),
        };
        Scope::default()
            .with("product", Ty::Object(Arc::new(product)))
            .with("childrens", Ty::Bool)
    }

    fn check(src: &str) -> Result<Ty, ConditionError> {
        Condition::compile(src, &product_scope()).map(|(_, t)| t)
    }

    #[test]
    fn well_typed_conditions_pass() {
        for src in [
            "has(product.age) && product.age.min_months < 156",
            "childrens && product.attributes.painted",
            "'toy' in product.categories",
            "!('general' in product.categories) || size(product.categories) > 1",
            "has(product.age) && has(product.age.max_months) && product.age.max_months <= 84",
        ] {
            assert_eq!(check(src), Ok(Ty::Bool), "{src}");
        }
    }

    #[test]
    fn misspelled_fields_are_errors_at_their_offset() {
        let e = check("childrens && product.attributes.paintd").unwrap_err();
        assert!(
            e.message.contains("no field `paintd`") && e.message.contains("painted"),
            "{}",
            e.message
        );
        assert_eq!(e.offset, "childrens && product.attributes".len());
        let e = check("has(product.agee)").unwrap_err();
        assert!(e.message.contains("no field `agee`"), "{}", e.message);
        let e = check("chidlrens").unwrap_err();
        assert!(
            e.message.contains("unknown name `chidlrens`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn mixed_types_are_errors() {
        assert!(
            check("product.age.min_months < '36'")
                .unwrap_err()
                .message
                .contains("an int against a string")
        );
        assert!(
            check("product.attributes.painted == 1")
                .unwrap_err()
                .message
                .contains("a bool with an int")
        );
        assert!(
            check("36 in product.categories")
                .unwrap_err()
                .message
                .contains("int in a list of string")
        );
        assert!(
            check("product.attributes.painted && 3")
                .unwrap_err()
                .message
                .contains("needs a bool")
        );
        assert!(
            check("product.categories.exists(c, c == 3)")
                .unwrap_err()
                .message
                .contains("compares a string with an int")
        );
        assert!(
            check("product.attributes.painted.all(c, c)")
                .unwrap_err()
                .message
                .contains("need a list")
        );
        let e = check("product.categories.all(c, c.size)").unwrap_err();
        assert!(e.message.contains("no fields"), "{}", e.message);
        let e = check("product.importers.map(m, m)").unwrap_err();
        assert!(e.message.contains("no order"), "{}", e.message);
        assert_eq!(
            check("product.importers.exists(m, m == 'US')"),
            Ok(Ty::Bool)
        );
        assert!(check("matches(product.age, 'x')").is_err());
        assert!(
            check("product.age.min_months <")
                .unwrap_err()
                .message
                .contains("not a valid CEL")
        );
    }

    /// `n` copies of `term` joined by `op`.
    fn chain(term: &str, op: &str, n: usize) -> String {
        vec![term; n].join(op)
    }

    #[test]
    fn conditions_past_the_limits_are_located_errors_not_crashes() {
        // 2,000 nested parentheses: refused by the scan, at the 33rd.
        let src = format!("{}true{}", "(".repeat(2000), ")".repeat(2000));
        let e = check(&src).unwrap_err();
        assert!(e.message.contains("more than 32 levels"), "{}", e.message);
        assert_eq!(e.offset, MAX_NESTING);
        // 2,000 `||` terms of 6 tokens each: too many tokens, at the first one past.
        let src = chain("has(product.age)", " || ", 2000);
        let e = check(&src).unwrap_err();
        assert!(
            e.message.contains("longer than 4096 tokens"),
            "{}",
            e.message
        );
        assert!(e.offset > 0 && e.offset < src.len(), "{}", e.offset);
        // A `+` chain of 2,000 terms is within the token limit but 2,000 levels deep.
        let src = format!("{} > 0", chain("1", " + ", 2000));
        let e = check(&src).unwrap_err();
        assert!(e.message.contains("more than 32 levels"), "{}", e.message);
        assert!(e.offset < src.len(), "{}", e.offset);
        // Nesting through lists, calls and `?:` counts too.
        for src in [
            format!("{}1{} == []", "[".repeat(40), "]".repeat(40)),
            format!("{}'a'{} > 0", "size(".repeat(40), ")".repeat(40)),
            format!("{}true", "true ? true : ".repeat(40)),
        ] {
            assert!(check(&src).is_err(), "{src}");
        }
        // Brackets inside strings and comments are not structure.
        let quoted = format!(
            "'{}' in product.categories || \"{}\" in product.categories",
            "(".repeat(100),
            "[".repeat(100)
        );
        assert_eq!(check(&quoted), Ok(Ty::Bool));
        assert_eq!(
            check(&format!("childrens // {}\n", "(".repeat(100))),
            Ok(Ty::Bool)
        );
    }

    #[test]
    fn conditions_at_the_limits_compile_and_evaluate_on_a_small_stack() {
        // `||` and `&&` chains are balanced trees: 2,000 terms pass every limit.
        let src = chain("childrens", " || ", 2000);
        assert_eq!(check(&src), Ok(Ty::Bool));
        // The worst the limits let through, each parsed on the compile thread: 32
        // levels of brackets around the longest chains the token limit allows.
        let inner = MAX_TOKENS / 2 - 2 * MAX_NESTING;
        for src in [
            format!(
                "{}{}{}",
                "(1 + ".repeat(31),
                chain("1", " + ", inner),
                ")".repeat(31)
            ),
            format!(
                "{}product{}{}",
                "size(".repeat(31),
                ".age".repeat(inner),
                ")".repeat(31)
            ),
            format!(
                "{}product.categories{}{}",
                "size(".repeat(31),
                "[0]".repeat(inner / 2),
                ")".repeat(31)
            ),
            format!(
                "{}{}",
                "childrens ? 1 : ".repeat(31),
                chain("1", " + ", inner)
            ),
        ] {
            assert!(check(&src).is_err(), "{}", &src[..80]);
        }
        // A tree MAX_DEPTH deep evaluates on a 2 MB thread (a rayon worker's stack),
        // in a debug build too.
        let src = format!("{} > 0", chain("1", " + ", MAX_DEPTH - 1));
        let (c, _) = Condition::compile(&src, &product_scope()).unwrap();
        let value = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || c.holds(&cel::Context::default()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(value, Ok(true));
    }

    /// Macros type their variable from the list, so their bodies are checked like any
    /// condition, and they evaluate.
    #[test]
    fn macros_over_lists_are_checked_and_run() {
        for (src, ty) in [
            ("product.categories.all(c, c != '')", Ty::Bool),
            ("product.categories.exists(c, c.startsWith('to'))", Ty::Bool),
            ("product.categories.exists_one(c, c == 'toy')", Ty::Bool),
            (
                "product.categories.filter(c, c != 'toy')",
                Ty::List(Box::new(Ty::String)),
            ),
            (
                "product.categories.map(c, size(c))",
                Ty::List(Box::new(Ty::Int)),
            ),
            // The item variable shadows nothing outside the macro.
            (
                "product.categories.all(childrens, childrens != '') && childrens",
                Ty::Bool,
            ),
        ] {
            assert_eq!(check(src), Ok(ty), "{src}");
        }
        let (c, _) = Condition::compile(
            "product.categories.exists(c, c == 'toy') && !product.categories.all(c, c == 'toy')",
            &product_scope(),
        )
        .unwrap();
        assert_eq!(c.reads, vec!["product.categories"]);
        // A variable named like the list's root does not hide the list.
        let (c, _) = Condition::compile(
            "product.categories.exists(product, product == 'toy')",
            &product_scope(),
        )
        .unwrap();
        assert_eq!(c.reads, vec!["product.categories"]);
        let mut cx = cel::Context::default();
        let product: std::collections::HashMap<String, cel::Value> = [(
            "categories".to_string(),
            cel::Value::List(Arc::new(vec!["toy".into(), "general".into()])),
        )]
        .into();
        cx.add_variable_from_value("product", cel::Value::from(product));
        assert_eq!(c.holds(&cx), Ok(true));
    }

    /// `paths` say what a condition's value can depend on: through a macro over a path,
    /// what it reads of each item; through a macro over anything else, whole lists.
    #[test]
    fn paths_reach_into_list_items() {
        let paths = |src: &str| Condition::compile(src, &product_scope()).unwrap().0.paths;
        assert_eq!(
            paths(
                "product.categories.exists(c, c == 'toy') && has(product.age) && product.age.min_months >= 36"
            ),
            [
                "product.age.?",
                "product.age.min_months",
                "product.categories.[]"
            ]
        );
        assert_eq!(
            paths("size(product.categories) > 1 || product.categories.size() > 2"),
            ["product.categories.#"]
        );
        assert_eq!(
            paths("product.categories.exists(c, size(c) > 3)"),
            ["product.categories.[].#"]
        );
        assert_eq!(
            paths("product.categories.exists(product, product == 'toy')"),
            ["product.categories.[]"]
        );
        // Nothing read of the items: how many there are still counts.
        assert_eq!(
            paths("product.categories.all(c, true)"),
            ["product.categories"]
        );
        // Items of a macro's result are whole items of the list it ran over.
        assert_eq!(
            paths("product.categories.filter(c, c != '').exists(c, c == 'toy')"),
            ["product.categories"]
        );
        assert_eq!(
            paths("product.categories.map(c, c + 'x').all(d, d != '') && childrens"),
            ["childrens", "product.categories"]
        );
    }

    #[test]
    fn reads_are_collected_for_explain() {
        let (c, _) = Condition::compile(
            "childrens && has(product.age) && product.age.min_months >= 36",
            &product_scope(),
        )
        .unwrap();
        assert_eq!(
            c.reads,
            vec!["childrens", "product.age", "product.age.min_months"]
        );
    }
}
