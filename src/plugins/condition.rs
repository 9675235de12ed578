//! Rule conditions: CEL expressions over `product` and the plugin's `define`s.
//!
//! The `cel` crate evaluates; it does not type-check. A misspelled field or an `int <
//! string` comparison would surface only when evaluated, and only on the branch that
//! runs. So every condition is checked statically here, when the plugin loads, against
//! the schema the vocabulary gives `product`: an unknown field, a type mismatch or a
//! function conditions may not use is an error at the condition's line and column.

use cel::common::ast::{CallExpr, Expr, LiteralValue};
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
            (Ty::Object(a), Ty::Object(b)) => Arc::ptr_eq(a, b),
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
}

impl Condition {
    /// Parses `source` and checks it in `scope`; returns the condition and its type.
    pub fn compile(source: &str, scope: &Scope) -> Result<(Condition, Ty), ConditionError> {
        let program = Program::compile(source).map_err(|e| ConditionError {
            offset: 0,
            message: format!("not a valid CEL expression: {}", first_line(&e.to_string())),
        })?;
        let checker = Checker {
            scope,
            program: &program,
        };
        let ty = checker.check(program.expression())?;
        let mut reads = Vec::new();
        collect_reads(program.expression(), &mut reads);
        reads.sort();
        reads.dedup();
        Ok((
            Condition {
                source: source.to_string(),
                program,
                reads,
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

struct Checker<'a> {
    scope: &'a Scope,
    program: &'a Program,
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
                LiteralValue::Bytes(_) => return self.err(e, "bytes are not used in conditions".into()),
            }),
            Expr::Ident(name) => match self.scope.names.get(name) {
                Some(t) => Ok(t.clone()),
                None => {
                    let known: Vec<&str> = self.scope.names.keys().map(String::as_str).collect();
                    self.err(e, format!("unknown name `{name}`; conditions can use {}", known.join(", ")))
                }
            },
            Expr::Select(sel) => {
                let operand = self.check(&sel.operand)?;
                if let Ty::Map(value) = &operand {
                    return Ok(if sel.test { Ty::Bool } else { (**value).clone() });
                }
                let Ty::Object(schema) = operand else {
                    return self.err(e, format!("`.{}` on {}, which has no fields", sel.field, A(&operand)));
                };
                let Some(field) = schema.fields.get(&sel.field) else {
                    let known: Vec<&str> = schema.fields.keys().map(String::as_str).collect();
                    return self.err(
                        e,
                        format!("`{}` has no field `{}`; declared: {}", schema.name, sel.field, known.join(", ")),
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
            Expr::Comprehension(_) => self.err(
                e,
                "macros such as exists() and all() are not used in conditions: write `'x' in product.list`".into(),
            ),
            Expr::Map(_) | Expr::Struct(_) | Expr::Unspecified => {
                self.err(e, "map and message literals are not used in conditions".into())
            }
        }
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
            check("product.categories.exists(c, c == 'toy')")
                .unwrap_err()
                .message
                .contains("macros")
        );
        assert!(check("matches(product.age, 'x')").is_err());
        assert!(
            check("product.age.min_months <")
                .unwrap_err()
                .message
                .contains("not a valid CEL")
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
