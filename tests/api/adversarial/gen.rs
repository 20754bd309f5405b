//! The document generator: random walks over the served schema (valid documents), the same
//! with one mistake (near-valid), with one adversarial value, and introspection shapes.
//! Everything is drawn from one `Rng`, so a document is a function of its case's seed.
use serde_json::{json, Map, Value};

use super::rng::Rng;
use super::schema::{Field, Kind, Schema, Ty};
use super::values::{ordinary, quote, vars_object, ValueTwist, PLAN, V};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
    Subscription,
}

impl OpKind {
    fn keyword(self) -> &'static str {
        match self {
            OpKind::Query => "query",
            OpKind::Mutation => "mutation",
            OpKind::Subscription => "subscription",
        }
    }
}

/// A GraphQL request's parameters.
#[derive(Debug, Clone)]
pub struct Gql {
    pub query: String,
    pub variables: Option<Value>,
    pub operation_name: Option<String>,
}

/// A generated document and what it is.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The generator family, e.g. `valid:query`, `twist:unknown-field`, `value:odd-cursor`.
    pub kind: String,
    pub op: OpKind,
    pub gql: Gql,
    /// Must be answered with data and no errors (the standard introspection query).
    pub must_admit: bool,
    /// Invalid by the GraphQL specification whatever the server: must be refused.
    pub must_refuse: bool,
}

#[derive(Debug, Clone)]
enum Sel {
    Field {
        alias: Option<String>,
        name: String,
        args: Vec<(String, String)>,
        directives: Vec<String>,
        sel: Vec<Sel>,
    },
    Spread {
        name: String,
        directives: Vec<String>,
    },
    Inline {
        on: Option<String>,
        directives: Vec<String>,
        sel: Vec<Sel>,
    },
}

fn leaf(name: &str) -> Sel {
    Sel::Field {
        alias: None,
        name: name.into(),
        args: Vec::new(),
        directives: Vec::new(),
        sel: Vec::new(),
    }
}

fn render_set(sel: &[Sel], out: &mut String) {
    out.push_str("{ ");
    for s in sel {
        match s {
            Sel::Field {
                alias,
                name,
                args,
                directives,
                sel,
            } => {
                if let Some(a) = alias {
                    out.push_str(a);
                    out.push_str(": ");
                }
                out.push_str(name);
                if !args.is_empty() {
                    out.push('(');
                    for (i, (k, v)) in args.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(k);
                        out.push_str(": ");
                        out.push_str(v);
                    }
                    out.push(')');
                }
                for d in directives {
                    out.push(' ');
                    out.push_str(d);
                }
                if !sel.is_empty() {
                    out.push(' ');
                    render_set(sel, out);
                }
            }
            Sel::Spread { name, directives } => {
                out.push_str("...");
                out.push_str(name);
                for d in directives {
                    out.push(' ');
                    out.push_str(d);
                }
            }
            Sel::Inline {
                on,
                directives,
                sel,
            } => {
                out.push_str("...");
                if let Some(t) = on {
                    out.push_str(" on ");
                    out.push_str(t);
                }
                for d in directives {
                    out.push(' ');
                    out.push_str(d);
                }
                out.push(' ');
                render_set(sel, out);
            }
        }
        out.push(' ');
    }
    out.push('}');
}

#[derive(Debug, Clone)]
struct VarDef {
    name: String,
    ty: String,
    default: Option<String>,
}

#[derive(Debug, Clone)]
struct Operation {
    kind: OpKind,
    name: Option<String>,
    vars: Vec<VarDef>,
    sel: Vec<Sel>,
}

#[derive(Debug, Clone)]
struct Fragment {
    name: String,
    on: String,
    sel: Vec<Sel>,
}

fn render(ops: &[Operation], fragments: &[Fragment]) -> String {
    let mut out = String::new();
    for op in ops {
        let plain = op.kind == OpKind::Query && op.name.is_none() && op.vars.is_empty();
        if !plain {
            out.push_str(op.kind.keyword());
            if let Some(n) = &op.name {
                out.push(' ');
                out.push_str(n);
            }
            if !op.vars.is_empty() {
                out.push('(');
                for (i, v) in op.vars.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push('$');
                    out.push_str(&v.name);
                    out.push_str(": ");
                    out.push_str(&v.ty);
                    if let Some(d) = &v.default {
                        out.push_str(" = ");
                        out.push_str(d);
                    }
                }
                out.push(')');
            }
            out.push(' ');
        }
        render_set(&op.sel, &mut out);
        out.push('\n');
    }
    for f in fragments {
        out.push_str("fragment ");
        out.push_str(&f.name);
        out.push_str(" on ");
        out.push_str(&f.on);
        out.push(' ');
        render_set(&f.sel, &mut out);
        out.push('\n');
    }
    out
}

/// Mistakes made while a document is built, where the walk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    UnknownField,
    MissingRequiredArg,
    UnknownArg,
    DuplicateArg,
    WrongTypeCondition,
    LeafWithSelection,
    CompositeWithoutSelection,
    UnknownDirective,
    UndeclaredVariable,
    VariableTypeMismatch,
}

impl Local {
    pub const ALL: [Local; 10] = [
        Local::UnknownField,
        Local::MissingRequiredArg,
        Local::UnknownArg,
        Local::DuplicateArg,
        Local::WrongTypeCondition,
        Local::LeafWithSelection,
        Local::CompositeWithoutSelection,
        Local::UnknownDirective,
        Local::UndeclaredVariable,
        Local::VariableTypeMismatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Local::UnknownField => "twist:unknown-field",
            Local::MissingRequiredArg => "twist:missing-required-arg",
            Local::UnknownArg => "twist:unknown-arg",
            Local::DuplicateArg => "twist:duplicate-arg",
            Local::WrongTypeCondition => "twist:wrong-type-condition",
            Local::LeafWithSelection => "twist:leaf-with-selection",
            Local::CompositeWithoutSelection => "twist:composite-without-selection",
            Local::UnknownDirective => "twist:unknown-directive",
            Local::UndeclaredVariable => "twist:undeclared-variable",
            Local::VariableTypeMismatch => "twist:variable-type-mismatch",
        }
    }
}

/// One document being built.
struct Builder<'a> {
    schema: &'a Schema,
    rng: Rng,
    vars: Vec<VarDef>,
    values: Map<String, Value>,
    fragments: Vec<Fragment>,
    counter: usize,
    twist: Option<ValueTwist>,
    twisted: bool,
    local: Option<Local>,
    localized: bool,
    /// Put the twist at the first position it fits (the fallback walk).
    force: bool,
    /// Largest adversarial value (a GET's URL is short).
    max_bytes: usize,
    var_chance: f64,
}

impl<'a> Builder<'a> {
    fn new(schema: &'a Schema, rng: Rng, max_bytes: usize) -> Self {
        let mut b = Self {
            schema,
            rng,
            vars: Vec::new(),
            values: Map::new(),
            fragments: Vec::new(),
            counter: 0,
            twist: None,
            twisted: false,
            local: None,
            localized: false,
            force: false,
            max_bytes,
            var_chance: 0.0,
        };
        b.var_chance = *b.rng.pick(&[0.0, 0.2, 0.5]);
        b
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    fn local_turn(&mut self, wanted: Local) -> bool {
        if self.local == Some(wanted) && !self.localized && (self.force || self.rng.chance(0.3)) {
            self.localized = true;
            true
        } else {
            false
        }
    }

    fn declare(&mut self, ty: String, value: Value) -> String {
        let name = self.fresh("v");
        self.vars.push(VarDef {
            name: name.clone(),
            ty,
            default: None,
        });
        self.values.insert(name.clone(), value);
        name
    }

    /// A value for a position: the twist when it fits and its turn has come, else ordinary;
    /// sometimes sent as a variable.
    fn value(&mut self, name: &str, ty: &Ty, depth: usize) -> V {
        let schema = self.schema;
        if let Some(t) = self.twist {
            if !self.twisted && t.fits(schema, name, ty) && (self.force || self.rng.chance(0.3)) {
                self.twisted = true;
                let v = t.make(&mut self.rng, schema, name, ty, self.max_bytes);
                let must = matches!(v, V::JsonOnly(_));
                return self.maybe_var(v, ty, must);
            }
        }
        let v = match ty.nullable() {
            Ty::List(item) => {
                // One item at least when forced, so that the twist can go inside.
                let n = if self.force {
                    1
                } else if depth > 3 {
                    0
                } else {
                    self.rng.range(0, 3)
                };
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(self.value(name, item, depth + 1));
                }
                V::List(items)
            }
            Ty::Named(n) if schema.kind(n) == Kind::Input => self.input_object(n, depth),
            _ => ordinary(&mut self.rng, schema, name, ty).unwrap_or(V::Null),
        };
        self.maybe_var(v, ty, false)
    }

    fn maybe_var(&mut self, v: V, ty: &Ty, must: bool) -> V {
        if must || (!v.literal_only() && self.rng.chance(self.var_chance)) {
            let json = v.json();
            V::Var(self.declare(ty.render(), json))
        } else {
            v
        }
    }

    fn input_object(&mut self, type_name: &str, depth: usize) -> V {
        let schema = self.schema;
        let Some(td) = schema.ty(type_name) else {
            return V::Obj(Vec::new());
        };
        let mut out = Vec::new();
        for f in &td.inputs {
            let include = f.required()
                || if self.force {
                    self.fits_below(&f.name, &f.ty, depth)
                } else {
                    depth < 3 && self.rng.chance(0.35)
                };
            if include {
                let v = self.value(&f.name, &f.ty, depth + 1);
                out.push((f.name.clone(), v));
            }
        }
        V::Obj(out)
    }

    /// Whether the pending twist fits this position or one inside it.
    fn fits_below(&self, name: &str, ty: &Ty, depth: usize) -> bool {
        let Some(t) = self.twist.filter(|_| !self.twisted) else {
            return false;
        };
        if t.fits(self.schema, name, ty) {
            return true;
        }
        if depth > 4 {
            return false;
        }
        match ty.nullable() {
            Ty::List(item) => self.fits_below(name, item, depth + 1),
            Ty::Named(n) if self.schema.kind(n) == Kind::Input => {
                self.schema.ty(n).is_some_and(|td| {
                    td.inputs
                        .iter()
                        .any(|f| self.fits_below(&f.name, &f.ty, depth + 1))
                })
            }
            _ => false,
        }
    }

    /// Whether the pending twist fits an argument of `f` or of a field below it.
    fn fits_in_field(&self, f: &Field, depth: usize) -> bool {
        if f.args.iter().any(|a| self.fits_below(&a.name, &a.ty, 0)) {
            return true;
        }
        depth < 3
            && self.schema.composite(f.ty.named())
            && self
                .schema
                .fields(f.ty.named())
                .iter()
                .any(|g| self.fits_in_field(g, depth + 1))
    }

    fn args(&mut self, f: &Field) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for a in &f.args {
            let include = a.required()
                || if self.force {
                    self.fits_below(&a.name, &a.ty, 0)
                } else if a.name == "first" {
                    self.rng.chance(0.85)
                } else {
                    self.rng.chance(0.4)
                };
            if include {
                let v = self.value(&a.name, &a.ty, 0);
                out.push((a.name.clone(), v.lit()));
            }
        }
        if !out.is_empty()
            && f.args.iter().any(|a| a.required())
            && self.local_turn(Local::MissingRequiredArg)
        {
            if let Some(i) = f
                .args
                .iter()
                .filter(|a| a.required())
                .map(|a| &a.name)
                .next()
                .and_then(|n| out.iter().position(|(k, _)| k == n))
            {
                out.remove(i);
            }
        }
        if self.local_turn(Local::UnknownArg) {
            out.push(("bogus".into(), "1".into()));
        }
        if !out.is_empty() && self.local_turn(Local::DuplicateArg) {
            out.push(out[0].clone());
        }
        if !out.is_empty() && self.local_turn(Local::UndeclaredVariable) {
            out[0].1 = "$undeclared".into();
        }
        if !out.is_empty() && self.local_turn(Local::VariableTypeMismatch) {
            let name = self.declare("Boolean".into(), json!(true));
            out[0].1 = format!("${name}");
        }
        out
    }

    fn directives(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if self.rng.chance(0.08) {
            out.push(match self.rng.below(4) {
                0 => "@include(if: true)".to_string(),
                1 => "@skip(if: false)".to_string(),
                _ => {
                    let skip = self.rng.chance(0.5);
                    let name = self.declare("Boolean!".into(), json!(!skip));
                    format!("@{}(if: ${name})", if skip { "skip" } else { "include" })
                }
            });
        }
        if self.local_turn(Local::UnknownDirective) {
            out.push("@nope(if: true)".into());
        }
        out
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> Vec<Sel> {
        let schema = self.schema;
        let mut out = Vec::new();
        if let Some(td) = schema.ty(type_name) {
            match td.kind {
                Kind::Union => {
                    for i in self.rng.sample(td.possible.len(), 2) {
                        let on = td.possible[i].clone();
                        let sel = self.selection(&on, depth);
                        out.push(Sel::Inline {
                            on: Some(on),
                            directives: Vec::new(),
                            sel,
                        });
                    }
                }
                Kind::Object | Kind::Interface => {
                    let k = self.rng.range(1, 4);
                    for i in self.rng.sample(td.fields.len(), k) {
                        if let Some(s) = self.field(&td.fields[i], depth) {
                            out.push(s);
                        }
                    }
                    if td.kind == Kind::Interface && !td.possible.is_empty() && self.rng.chance(0.6)
                    {
                        let on = self.rng.pick(&td.possible).clone();
                        let sel = self.selection(&on, depth);
                        let directives = self.directives();
                        out.push(Sel::Inline {
                            on: Some(on),
                            directives,
                            sel,
                        });
                    }
                }
                _ => {}
            }
        }
        if out.is_empty() || self.rng.chance(0.05) {
            out.push(leaf("__typename"));
        }
        if self.local_turn(Local::UnknownField) {
            let name = self
                .rng
                .pick(&["nonexistent", "titel", "actionz", "__nope", "Plan"])
                .to_string();
            out.push(leaf(&name));
        }
        if self.local_turn(Local::WrongTypeCondition) {
            let on = if type_name == "Webhook" {
                "Theme"
            } else {
                "Webhook"
            };
            out.push(Sel::Inline {
                on: Some(on.into()),
                directives: Vec::new(),
                sel: vec![leaf("__typename")],
            });
        }
        out
    }

    /// A field with its arguments and selection, or `None` when the walk is too deep for it.
    fn field(&mut self, f: &Field, depth: usize) -> Option<Sel> {
        let composite = self.schema.composite(f.ty.named());
        if composite && depth == 0 {
            return None;
        }
        let before = self.twisted;
        let args = self.args(f);
        // An odd cursor only matters when the page is read: ask for the edges' cursors.
        let cursor_mine = !before && self.twisted && self.twist == Some(ValueTwist::OddCursor);
        let mut sel = if composite {
            self.sub_selection(f.ty.named(), depth - 1)
        } else {
            Vec::new()
        };
        if cursor_mine && f.ty.named().ends_with("Connection") {
            sel.push(Sel::Field {
                alias: None,
                name: "edges".into(),
                args: Vec::new(),
                directives: Vec::new(),
                sel: vec![leaf("cursor")],
            });
        }
        if !composite && self.local_turn(Local::LeafWithSelection) {
            sel.push(leaf("__typename"));
        }
        if composite && self.local_turn(Local::CompositeWithoutSelection) {
            sel.clear();
        }
        let alias = self.rng.chance(0.1).then(|| self.fresh("a"));
        let directives = self.directives();
        Some(Sel::Field {
            alias,
            name: f.name.clone(),
            args,
            directives,
            sel,
        })
    }

    /// A selection set as written, or behind a named or inline fragment.
    fn sub_selection(&mut self, type_name: &str, depth: usize) -> Vec<Sel> {
        let sel = self.selection(type_name, depth);
        match self.rng.below(10) {
            0 | 1 => {
                let name = self.fresh("F");
                self.fragments.push(Fragment {
                    name: name.clone(),
                    on: type_name.to_string(),
                    sel,
                });
                let directives = self.directives();
                vec![Sel::Spread { name, directives }]
            }
            2 => {
                let on = self.rng.chance(0.5).then(|| type_name.to_string());
                let directives = self.directives();
                vec![Sel::Inline {
                    on,
                    directives,
                    sel,
                }]
            }
            _ => sel,
        }
    }

    fn root_type(&self, op: OpKind) -> &'a str {
        match op {
            OpKind::Query => &self.schema.query,
            OpKind::Mutation => &self.schema.mutation,
            OpKind::Subscription => &self.schema.subscription,
        }
    }

    fn root(&mut self, op: OpKind) -> Vec<Sel> {
        let schema = self.schema;
        let fields = schema.fields(self.root_type(op));
        let depth = self.rng.range(1, 5);
        let mut out = Vec::new();
        match op {
            OpKind::Query => {
                let n = self.rng.range(1, 3);
                let mut chosen: Vec<&Field> = Vec::new();
                for _ in 0..n {
                    let weights: Vec<(u32, usize)> = fields
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (if f.name == "plan" { 8 } else { 1 }, i))
                        .collect();
                    let f = &fields[self.rng.weighted(&weights)];
                    if !chosen.iter().any(|c| c.name == f.name) {
                        chosen.push(f);
                    }
                }
                for f in chosen {
                    if let Some(s) = self.field(f, depth.max(1)) {
                        out.push(s);
                    }
                }
            }
            OpKind::Mutation | OpKind::Subscription => {
                let f = self.rng.pick(fields);
                if let Some(s) = self.field(f, depth.max(1)) {
                    out.push(s);
                }
            }
        }
        if self.twist.is_some() && !self.twisted {
            out.extend(self.forced(op));
        }
        if self.local.is_some() && !self.localized {
            self.force = true;
            self.local_fallback(&mut out);
        }
        if out.is_empty() {
            out.push(leaf("__typename"));
        }
        out
    }

    /// The twist did not find a place on the random walk: a walk down to the first field
    /// whose arguments it fits.
    fn forced(&mut self, op: OpKind) -> Vec<Sel> {
        self.force = true;
        let schema = self.schema;
        let fields = schema.fields(self.root_type(op));
        let fitting: Vec<&Field> = fields.iter().filter(|f| self.fits_in_field(f, 0)).collect();
        if fitting.is_empty() {
            return Vec::new();
        }
        let preferred = fitting
            .iter()
            .find(|f| ["plan", "updateAction", "ragUpdated"].contains(&f.name.as_str()))
            .filter(|_| self.rng.chance(0.6))
            .copied()
            .unwrap_or_else(|| *self.rng.pick(&fitting));
        // Aliased, so that it never conflicts with a field of the walk of the same name.
        let mut field = self.forced_field(preferred, 0);
        if let Sel::Field { alias, .. } = &mut field {
            *alias = Some(self.fresh("forced"));
        }
        vec![field]
    }

    fn forced_field(&mut self, f: &Field, depth: usize) -> Sel {
        let schema = self.schema;
        let before = self.twisted;
        let args = self.args(f);
        let cursor_mine = !before && self.twisted && self.twist == Some(ValueTwist::OddCursor);
        let mut sel = Vec::new();
        let ty = f.ty.named();
        if schema.composite(ty) {
            if !self.twisted {
                let children: Vec<&Field> = schema
                    .fields(ty)
                    .iter()
                    .filter(|g| self.fits_in_field(g, depth + 1))
                    .collect();
                if !children.is_empty() {
                    let child = *self.rng.pick(&children);
                    sel.push(self.forced_field(child, depth + 1));
                }
            }
            let leaf_field = schema
                .fields(ty)
                .iter()
                .find(|g| !schema.composite(g.ty.named()) && g.args.iter().all(|a| !a.required()));
            sel.push(leaf(leaf_field.map_or("__typename", |g| g.name.as_str())));
            if cursor_mine && ty.ends_with("Connection") {
                sel.push(Sel::Field {
                    alias: None,
                    name: "edges".into(),
                    args: Vec::new(),
                    directives: Vec::new(),
                    sel: vec![leaf("cursor")],
                });
            }
        }
        Sel::Field {
            alias: None,
            name: f.name.clone(),
            args,
            directives: Vec::new(),
            sel,
        }
    }

    /// The mistake did not happen on the walk: make it at the root.
    fn local_fallback(&mut self, root: &mut Vec<Sel>) {
        let Some(local) = self.local else { return };
        self.localized = true;
        let plan_title =
            |args: Vec<(String, String)>, directives: Vec<String>, sel: Vec<Sel>| Sel::Field {
                alias: None,
                name: "plan".into(),
                args,
                directives,
                sel,
            };
        let slug = || vec![("slug".to_string(), format!("\"{PLAN}\""))];
        root.push(match local {
            Local::UnknownField => leaf("nonexistent"),
            Local::MissingRequiredArg => plan_title(Vec::new(), Vec::new(), vec![leaf("title")]),
            Local::UnknownArg => {
                let mut a = slug();
                a.push(("bogus".into(), "1".into()));
                plan_title(a, Vec::new(), vec![leaf("title")])
            }
            Local::DuplicateArg => {
                let mut a = slug();
                a.push(("slug".into(), "\"other\"".into()));
                plan_title(a, Vec::new(), vec![leaf("title")])
            }
            Local::WrongTypeCondition => Sel::Inline {
                on: Some("Plan".into()),
                directives: Vec::new(),
                sel: vec![leaf("title")],
            },
            Local::LeafWithSelection => Sel::Field {
                alias: None,
                name: "__typename".into(),
                args: Vec::new(),
                directives: Vec::new(),
                sel: vec![leaf("x")],
            },
            Local::CompositeWithoutSelection => plan_title(slug(), Vec::new(), Vec::new()),
            Local::UnknownDirective => {
                plan_title(slug(), vec!["@nope".into()], vec![leaf("title")])
            }
            Local::UndeclaredVariable => plan_title(
                vec![("slug".into(), "$undeclared".into())],
                Vec::new(),
                vec![leaf("title")],
            ),
            Local::VariableTypeMismatch => {
                let name = self.declare("Int".into(), json!(1));
                plan_title(
                    vec![("slug".into(), format!("${name}"))],
                    Vec::new(),
                    vec![leaf("title")],
                )
            }
        });
    }

    fn operation(&mut self, op: OpKind, name: Option<String>) -> Operation {
        self.vars.clear();
        self.values.clear();
        let sel = self.root(op);
        Operation {
            kind: op,
            name,
            vars: std::mem::take(&mut self.vars),
            sel,
        }
    }
}

/// The families of generated documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Valid,
    Local(Local),
    Value(ValueTwist),
    Structure(Structure),
    Introspection(Intro),
}

/// Mistakes and excesses of a whole document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    DuplicateFragment,
    UnusedFragment,
    CyclicFragments,
    UndefinedFragment,
    UnusedVariable,
    MissingVariable,
    WrongVariableValue,
    ExtraVariables,
    ManyOperations,
    AnonymousAndNamed,
    WrongOperationName,
    ManyDirectives,
    ManyAliases,
    ManyRootFields,
    ManyErrors,
    DeepSelection,
    FragmentBomb,
    Padding,
    ManyVariableDefs,
    LongNames,
    SyntaxError,
    EmptyDocument,
    DeepVariableType,
    /// Deep list types in a variable definition, 1,000+ levels (10,000 crashed the server).
    HugeDeepVariableType,
    /// A variable's default value nested 1,000+ deep: known to overflow the stack.
    HugeDeepDefaultValue,
    /// A directive argument nested 1,000+ deep: known to overflow the stack.
    HugeDeepDirectiveArgument,
    TwoSubscriptionRoots,
    DirectiveWrongLocation,
}

impl Structure {
    pub const ALL: [Structure; 28] = [
        Structure::DuplicateFragment,
        Structure::UnusedFragment,
        Structure::CyclicFragments,
        Structure::UndefinedFragment,
        Structure::UnusedVariable,
        Structure::MissingVariable,
        Structure::WrongVariableValue,
        Structure::ExtraVariables,
        Structure::ManyOperations,
        Structure::AnonymousAndNamed,
        Structure::WrongOperationName,
        Structure::ManyDirectives,
        Structure::ManyAliases,
        Structure::ManyRootFields,
        Structure::ManyErrors,
        Structure::DeepSelection,
        Structure::FragmentBomb,
        Structure::Padding,
        Structure::ManyVariableDefs,
        Structure::LongNames,
        Structure::SyntaxError,
        Structure::EmptyDocument,
        Structure::DeepVariableType,
        Structure::HugeDeepVariableType,
        Structure::HugeDeepDefaultValue,
        Structure::HugeDeepDirectiveArgument,
        Structure::TwoSubscriptionRoots,
        Structure::DirectiveWrongLocation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Structure::DuplicateFragment => "twist:duplicate-fragment",
            Structure::UnusedFragment => "twist:unused-fragment",
            Structure::CyclicFragments => "twist:cyclic-fragments",
            Structure::UndefinedFragment => "twist:undefined-fragment",
            Structure::UnusedVariable => "twist:unused-variable",
            Structure::MissingVariable => "twist:missing-variable",
            Structure::WrongVariableValue => "twist:wrong-variable-value",
            Structure::ExtraVariables => "twist:extra-variables",
            Structure::ManyOperations => "twist:many-operations",
            Structure::AnonymousAndNamed => "twist:anonymous-and-named",
            Structure::WrongOperationName => "twist:wrong-operation-name",
            Structure::ManyDirectives => "twist:many-directives",
            Structure::ManyAliases => "twist:many-aliases",
            Structure::ManyRootFields => "twist:many-root-fields",
            Structure::ManyErrors => "twist:many-errors",
            Structure::DeepSelection => "twist:deep-selection",
            Structure::FragmentBomb => "twist:fragment-bomb",
            Structure::Padding => "twist:padding",
            Structure::ManyVariableDefs => "twist:many-variable-definitions",
            Structure::LongNames => "twist:long-names",
            Structure::SyntaxError => "twist:syntax-error",
            Structure::EmptyDocument => "twist:empty-document",
            Structure::DeepVariableType => "twist:deep-variable-type",
            Structure::HugeDeepVariableType => "twist:huge-deep-variable-type",
            Structure::HugeDeepDefaultValue => "twist:huge-deep-default-value",
            Structure::HugeDeepDirectiveArgument => "twist:huge-deep-directive-argument",
            Structure::TwoSubscriptionRoots => "twist:two-subscription-roots",
            Structure::DirectiveWrongLocation => "twist:directive-wrong-location",
        }
    }
}

/// Introspection shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intro {
    /// graphql-js `getIntrospectionQuery()` with every option: must stay admitted.
    Standard,
    NestedPossibleTypes,
    OfTypeChain,
    FieldsBomb,
    FragmentBomb,
    OddTypeName,
}

impl Intro {
    pub const ALL: [Intro; 6] = [
        Intro::Standard,
        Intro::NestedPossibleTypes,
        Intro::OfTypeChain,
        Intro::FieldsBomb,
        Intro::FragmentBomb,
        Intro::OddTypeName,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Intro::Standard => "introspection:standard",
            Intro::NestedPossibleTypes => "introspection:nested-possible-types",
            Intro::OfTypeChain => "introspection:of-type-chain",
            Intro::FieldsBomb => "introspection:fields-bomb",
            Intro::FragmentBomb => "introspection:fragment-bomb",
            Intro::OddTypeName => "introspection:odd-type-name",
        }
    }
}

impl Family {
    pub fn name(self, op: OpKind) -> String {
        match self {
            Family::Valid => format!("valid:{}", op.keyword()),
            Family::Local(l) => l.name().into(),
            Family::Value(v) => v.name().into(),
            Family::Structure(s) => s.name().into(),
            Family::Introspection(i) => i.name().into(),
        }
    }
}

/// A document of `family` for an operation of type `op`. `max_bytes` bounds adversarial
/// sizes (GET requests carry the document in the URL).
pub fn generate(
    schema: &Schema,
    rng: Rng,
    family: Family,
    op: OpKind,
    max_bytes: usize,
) -> Generated {
    let mut b = Builder::new(schema, rng, max_bytes);
    let kind = family.name(op);
    let mut must_admit = false;
    let gql = match family {
        Family::Valid => valid(&mut b, op),
        Family::Local(l) => {
            b.local = Some(l);
            single(&mut b, op)
        }
        Family::Value(t) => {
            b.twist = Some(t);
            single(&mut b, op)
        }
        Family::Structure(s) => structure(&mut b, s, op),
        Family::Introspection(i) => {
            must_admit = i == Intro::Standard;
            introspection(&mut b, i)
        }
    };
    // The fixed texts of some families say their own operation type: the transport needs the
    // real one (a WebSocket waits differently for a subscription). Never parsed here when the
    // text is one that overflows a parser's stack: this is the test process.
    let parse_safe = matches!(
        family,
        Family::Structure(s) if !matches!(
            s,
            Structure::HugeDeepVariableType
                | Structure::HugeDeepDefaultValue
                | Structure::HugeDeepDirectiveArgument
                | Structure::DeepSelection
        )
    );
    let op = if parse_safe {
        real_op(&gql).unwrap_or(op)
    } else {
        op
    };
    Generated {
        kind,
        op,
        gql,
        must_admit,
        must_refuse: invalid_by_spec(family),
    }
}

/// Families whose every document breaks a validation rule of the specification (a mistake
/// that might by chance still be valid, such as a truncated document, is left out).
fn invalid_by_spec(family: Family) -> bool {
    match family {
        Family::Local(l) => l != Local::VariableTypeMismatch,
        Family::Structure(s) => matches!(
            s,
            Structure::DuplicateFragment
                | Structure::UnusedFragment
                | Structure::CyclicFragments
                | Structure::UndefinedFragment
                | Structure::UnusedVariable
                | Structure::AnonymousAndNamed
                | Structure::ManyErrors
                | Structure::EmptyDocument
                | Structure::TwoSubscriptionRoots
                | Structure::DirectiveWrongLocation
        ),
        _ => false,
    }
}

/// The type of the operation the request selects, when the document parses.
fn real_op(gql: &Gql) -> Option<OpKind> {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let doc = async_graphql::parser::parse_query(&gql.query).ok()?;
    let ty = match &doc.operations {
        DocumentOperations::Single(op) => op.node.ty,
        DocumentOperations::Multiple(ops) => match &gql.operation_name {
            Some(n) => ops.get(n.as_str())?.node.ty,
            None => ops.values().next()?.node.ty,
        },
    };
    Some(match ty {
        OperationType::Query => OpKind::Query,
        OperationType::Mutation => OpKind::Mutation,
        OperationType::Subscription => OpKind::Subscription,
    })
}

fn single(b: &mut Builder<'_>, op: OpKind) -> Gql {
    let name = b.rng.chance(0.5).then(|| b.fresh("Op"));
    let operation = b.operation(op, name.clone());
    let values = std::mem::take(&mut b.values);
    Gql {
        query: render(&[operation], &b.fragments),
        variables: vars_object(values),
        operation_name: name.filter(|_| b.rng.chance(0.5)),
    }
}

fn valid(b: &mut Builder<'_>, op: OpKind) -> Gql {
    if op == OpKind::Subscription || b.rng.chance(0.8) {
        return single(b, op);
    }
    // Several operations, one of them chosen by name.
    let n = b.rng.range(2, 4);
    let chosen = b.rng.below(n);
    let mut ops = Vec::new();
    let mut values = Map::new();
    for i in 0..n {
        let kind = if i == chosen { op } else { OpKind::Query };
        let name = b.fresh("Op");
        let o = b.operation(kind, Some(name));
        if i == chosen {
            values = std::mem::take(&mut b.values);
        }
        ops.push(o);
    }
    let name = ops[chosen].name.clone();
    Gql {
        query: render(&ops, &b.fragments),
        variables: vars_object(values),
        operation_name: name,
    }
}

fn plain(query: String) -> Gql {
    Gql {
        query,
        variables: None,
        operation_name: None,
    }
}

fn structure(b: &mut Builder<'_>, s: Structure, op: OpKind) -> Gql {
    let base = |b: &mut Builder<'_>| {
        let operation = b.operation(op, Some("Base".into()));
        let values = std::mem::take(&mut b.values);
        (operation, values)
    };
    let rng_n = |b: &mut Builder<'_>, options: &[usize]| *b.rng.pick(options);
    match s {
        Structure::DuplicateFragment => {
            let (mut o, values) = base(b);
            o.sel.push(Sel::Spread {
                name: "Dup".into(),
                directives: Vec::new(),
            });
            let root = b.root_type(op).to_string();
            b.fragments.push(Fragment {
                name: "Dup".into(),
                on: root.clone(),
                sel: vec![leaf("__typename")],
            });
            b.fragments.push(Fragment {
                name: "Dup".into(),
                on: root,
                sel: vec![leaf("__typename")],
            });
            Gql {
                query: render(&[o], &b.fragments),
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::UnusedFragment => {
            let (o, values) = base(b);
            b.fragments.push(Fragment {
                name: "Unused".into(),
                on: "Plan".into(),
                sel: vec![leaf("title")],
            });
            Gql {
                query: render(&[o], &b.fragments),
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::CyclicFragments => {
            let (mut o, values) = base(b);
            let root = b.root_type(op).to_string();
            let self_cycle = b.rng.chance(0.3);
            o.sel.push(Sel::Spread {
                name: "CycA".into(),
                directives: Vec::new(),
            });
            b.fragments.push(Fragment {
                name: "CycA".into(),
                on: root.clone(),
                sel: vec![
                    leaf("__typename"),
                    Sel::Spread {
                        name: if self_cycle { "CycA" } else { "CycB" }.into(),
                        directives: Vec::new(),
                    },
                ],
            });
            if !self_cycle {
                b.fragments.push(Fragment {
                    name: "CycB".into(),
                    on: root,
                    sel: vec![Sel::Spread {
                        name: "CycA".into(),
                        directives: Vec::new(),
                    }],
                });
            }
            Gql {
                query: render(&[o], &b.fragments),
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::UndefinedFragment => {
            let (mut o, values) = base(b);
            o.sel.push(Sel::Spread {
                name: "Missing".into(),
                directives: Vec::new(),
            });
            Gql {
                query: render(&[o], &b.fragments),
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::UnusedVariable => {
            let (mut o, values) = base(b);
            o.vars.push(VarDef {
                name: "unused".into(),
                ty: "Int".into(),
                default: Some("1".into()),
            });
            Gql {
                query: render(&[o], &b.fragments),
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::MissingVariable => {
            b.var_chance = 1.0;
            let (o, mut values) = base(b);
            // Drop one sent value (a required one is then missing), or all of them.
            if let Some(k) = values.keys().next().cloned() {
                values.remove(&k);
            }
            if o.vars.is_empty() {
                return plain("query($slug: String!) { plan(slug: $slug) { title } }".into());
            }
            Gql {
                query: render(&[o], &b.fragments),
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::WrongVariableValue => {
            b.var_chance = 1.0;
            let (o, mut values) = base(b);
            let wrong = [
                json!("x"),
                json!(1),
                json!(true),
                json!([1, 2]),
                json!({ "a": 1 }),
                json!(null),
                json!(1.5),
            ];
            for v in values.values_mut() {
                if b.rng.chance(0.5) {
                    *v = b.rng.pick(&wrong).clone();
                }
            }
            Gql {
                query: render(&[o], &b.fragments),
                variables: Some(Value::Object(values)),
                operation_name: None,
            }
        }
        Structure::ExtraVariables => {
            let (o, mut values) = base(b);
            let n = rng_n(b, &[10, 1_000, 50_000]).min(b.max_bytes / 16);
            for i in 0..n {
                values.insert(format!("extra{i}"), json!(i));
            }
            Gql {
                query: render(&[o], &b.fragments),
                variables: Some(Value::Object(values)),
                operation_name: None,
            }
        }
        Structure::ManyOperations | Structure::WrongOperationName => {
            let n = rng_n(b, &[2, 50, 1_000, 20_000]).min(b.max_bytes / 40);
            let mut q = String::new();
            for i in 0..n {
                q.push_str(&format!("query Q{i} {{ __typename }}\n"));
            }
            let operation_name = match (s, b.rng.below(3)) {
                (Structure::WrongOperationName, 0) => Some("Nope".to_string()),
                (Structure::WrongOperationName, 1) => Some("Q".repeat(b.max_bytes.min(100_000))),
                (Structure::WrongOperationName, _) => Some(String::new()),
                (_, 0) => None,
                _ => Some(format!("Q{}", n.saturating_sub(1))),
            };
            Gql {
                query: q,
                variables: None,
                operation_name,
            }
        }
        Structure::AnonymousAndNamed => {
            plain("{ __typename } query Named { __typename }".into())
        }
        Structure::ManyDirectives => {
            let n = rng_n(b, &[50, 1_000, 20_000, 100_000]).min(b.max_bytes / 20);
            let d = b.rng.pick(&["@skip(if: false)", "@include(if: true)", "@nope", "@skip(if: false) @include(if: true)"]).to_string();
            plain(format!("{{ plan(slug: \"{PLAN}\") {{ title {} }} }}", [d.as_str()].repeat(n).join(" ")))
        }
        Structure::ManyAliases => {
            let n = rng_n(b, &[31, 100, 1_000, 20_000, 100_000]).min(b.max_bytes / 20);
            let field = b.rng.pick(&["__typename", "plans { totalCount }", "plan(slug: \"herefordshire-2012\") { title }"]).to_string();
            let mut q = String::from("{ ");
            for i in 0..n {
                q.push_str(&format!("a{i}: {field} "));
            }
            q.push('}');
            plain(q)
        }
        Structure::ManyRootFields => {
            let n = rng_n(b, &[21, 100, 5_000, 50_000]).min(b.max_bytes / 24);
            plain(format!("{{ {} }}", ["plans { totalCount }"].repeat(n).join(" ")))
        }
        Structure::ManyErrors => {
            let n = rng_n(b, &[100, 5_000, 50_000]).min(b.max_bytes / 16);
            let mut q = String::from("{ ");
            for i in 0..n {
                q.push_str(&format!("nope{i} "));
            }
            q.push('}');
            plain(q)
        }
        Structure::DeepSelection => {
            let depth = rng_n(b, &[13, 20, 31, 33, 64, 200, 5_000]);
            let mut q = format!("{{ plan(slug: \"{PLAN}\") {{ action(code: \"1.1\") {{ ");
            q.push_str(&"links { ".repeat(depth));
            q.push_str("code ");
            q.push_str(&"} ".repeat(depth));
            q.push_str("} } }");
            plain(q)
        }
        Structure::FragmentBomb => {
            let levels = rng_n(b, &[10, 30, 60]);
            let mut q = format!("{{ plan(slug: \"{PLAN}\") {{ ...F0 }} }}\n");
            for i in 0..levels {
                q.push_str(&format!("fragment F{i} on Plan {{ ...F{} ...F{} }}\n", i + 1, i + 1));
            }
            q.push_str(&format!("fragment F{levels} on Plan {{ title }}\n"));
            plain(q)
        }
        Structure::Padding => {
            let n = rng_n(b, &[10_000, 1_000_000, 2_000_000, 3_000_000]).min(b.max_bytes.max(10_000));
            let pad = match b.rng.below(4) {
                0 => " ".repeat(n),
                1 => "\n".repeat(n),
                2 => ",".repeat(n),
                _ => "# padding\n".repeat(n / 10),
            };
            plain(format!("{pad}{{ plan(slug: \"{PLAN}\") {{ title }} }}{pad}"))
        }
        Structure::ManyVariableDefs => {
            let n = rng_n(b, &[100, 5_000, 50_000]).min(b.max_bytes / 16);
            let defs: Vec<String> = (0..n).map(|i| format!("$v{i}: Int")).collect();
            plain(format!("query({}) {{ __typename }}", defs.join(", ")))
        }
        Structure::LongNames => {
            let n = rng_n(b, &[1_000, 100_000, 1_000_000]).min(b.max_bytes);
            let name = "n".repeat(n);
            match b.rng.below(5) {
                0 => plain(format!("{{ {name}: __typename }}")),
                1 => plain(format!("query {name} {{ __typename }}")),
                2 => plain(format!("{{ ...{name} }} fragment {name} on Query {{ __typename }}")),
                3 => plain(format!("query(${name}: Int) {{ __typename }}")),
                _ => plain(format!("{{ plan(slug: \"{PLAN}\") {{ {name} }} }}")),
            }
        }
        Structure::SyntaxError => {
            let (o, values) = base(b);
            let mut q = render(&[o], &b.fragments);
            match b.rng.below(4) {
                0 => {
                    let at = b.rng.below(q.len());
                    let at = (0..=at).rev().find(|i| q.is_char_boundary(*i)).unwrap_or(0);
                    q.truncate(at);
                }
                1 => q.insert(b.rng.below(q.len()), *b.rng.pick(&['{', '}', '(', '"', '$', '@', '!', '\u{0}', 'é'])),
                2 => q = q.replace('{', "{{"),
                _ => q.push_str(&"}".repeat(b.rng.range(1, 10_000))),
            }
            Gql {
                query: q,
                variables: vars_object(values),
                operation_name: None,
            }
        }
        Structure::EmptyDocument => plain(
            b.rng
                .pick(&["", " ", "# only a comment", "{}", "query", "{ }", "\u{feff}"])
                .to_string(),
        ),
        Structure::DeepVariableType | Structure::HugeDeepVariableType => {
            let depth = if s == Structure::DeepVariableType {
                rng_n(b, &[10, 100, 300])
            } else {
                rng_n(b, &[1_000, 10_000, 100_000])
            };
            let used = b.rng.chance(0.5);
            let ty = format!("{}String{}", "[".repeat(depth), "]".repeat(depth));
            plain(if used {
                format!("query($v: {ty}) {{ plan(slug: \"{PLAN}\") {{ actions(filter: {{ leads: $v }}, first: 1) {{ totalCount }} }} }}")
            } else {
                format!("query($v: {ty}) {{ __typename }}")
            })
        }
        Structure::HugeDeepDefaultValue => {
            let depth = rng_n(b, &[1_000, 3_000, 20_000]);
            plain(format!(
                "query($v: [String] = {}\"x\"{}) {{ __typename }}",
                "[".repeat(depth),
                "]".repeat(depth)
            ))
        }
        Structure::HugeDeepDirectiveArgument => {
            let depth = rng_n(b, &[1_000, 3_000, 20_000]);
            plain(format!(
                "{{ __typename @skip(if: {}false{}) }}",
                "[".repeat(depth),
                "]".repeat(depth)
            ))
        }
        Structure::TwoSubscriptionRoots => plain(format!(
            "subscription {{ ragUpdated(plan: \"{PLAN}\") {{ eventId }} actionChanged(plan: \"{PLAN}\") {{ eventId }} }}"
        )),
        Structure::DirectiveWrongLocation => plain(
            b.rng
                .pick(&[
                    "query @include(if: true) { __typename }",
                    "{ __typename @skip(if: false) @skip(if: false) }",
                    "fragment F on Query @skip(if: true) { __typename } { ...F }",
                    "{ __typename @specifiedBy(url: \"x\") }",
                ])
                .to_string(),
        ),
    }
}

/// graphql-js 16's `getIntrospectionQuery({ descriptions, specifiedByUrl, directiveIsRepeatable,
/// schemaDescription, inputValueDeprecation, oneOf })`: what GraphiQL and code generators send.
pub fn standard_introspection_query() -> String {
    let type_ref = {
        let mut s = String::from("kind name");
        for _ in 0..9 {
            s = format!("kind name ofType {{ {s} }}");
        }
        s
    };
    format!(
        "query IntrospectionQuery {{
  __schema {{
    description
    queryType {{ name kind }}
    mutationType {{ name kind }}
    subscriptionType {{ name kind }}
    types {{ ...FullType }}
    directives {{
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) {{ ...InputValue }}
    }}
  }}
}}

fragment FullType on __Type {{
  kind
  name
  description
  specifiedByURL
  isOneOf
  fields(includeDeprecated: true) {{
    name
    description
    args(includeDeprecated: true) {{ ...InputValue }}
    type {{ ...TypeRef }}
    isDeprecated
    deprecationReason
  }}
  inputFields(includeDeprecated: true) {{ ...InputValue }}
  interfaces {{ ...TypeRef }}
  enumValues(includeDeprecated: true) {{
    name
    description
    isDeprecated
    deprecationReason
  }}
  possibleTypes {{ ...TypeRef }}
}}

fragment InputValue on __InputValue {{
  name
  description
  type {{ ...TypeRef }}
  defaultValue
  isDeprecated
  deprecationReason
}}

fragment TypeRef on __Type {{
  {type_ref}
}}
"
    )
}

/// `possibleTypes { interfaces { possibleTypes { ... } } }` nested `levels` deep.
pub fn nested_possible_types(levels: usize) -> String {
    let mut inner = String::from("name");
    for i in (0..levels).rev() {
        let field = if i % 2 == 0 {
            "possibleTypes"
        } else {
            "interfaces"
        };
        inner = format!("name {field} {{ {inner} }}");
    }
    inner
}

fn introspection(b: &mut Builder<'_>, i: Intro) -> Gql {
    match i {
        Intro::Standard => Gql {
            query: standard_introspection_query(),
            variables: None,
            operation_name: b.rng.chance(0.5).then(|| "IntrospectionQuery".to_string()),
        },
        Intro::NestedPossibleTypes => {
            // Ten levels of twenty aliases take the server 10 s and 20 MB, eight levels 3 s
            // and 3 MB (the regression): up to eight here, so one case does not eat the budget.
            let levels = b.rng.range(5, 8);
            let aliases = *b.rng.pick(&[1usize, 5, 10, 20, 30]);
            let body = nested_possible_types(levels);
            let mut q = String::from("{ ");
            for a in 0..aliases {
                q.push_str(&format!("t{a}: __type(name: \"Node\") {{ {body} }} "));
            }
            q.push('}');
            plain(q)
        }
        Intro::OfTypeChain => {
            let depth = b.rng.range(3, 28);
            let aliases = *b.rng.pick(&[1usize, 10, 30]);
            let mut chain = String::from("name");
            for _ in 0..depth {
                chain = format!("name kind ofType {{ {chain} }}");
            }
            let mut q = String::from("{ ");
            for a in 0..aliases {
                q.push_str(&format!(
                    "s{a}: __schema {{ types {{ fields {{ type {{ {chain} }} }} }} }} "
                ));
            }
            q.push('}');
            plain(q)
        }
        Intro::FieldsBomb => {
            let levels = b.rng.range(2, 9);
            let mut inner = String::from("name");
            for _ in 0..levels {
                inner = format!("name fields {{ name type {{ {inner} }} }}");
            }
            let aliases = *b.rng.pick(&[1usize, 3, 20, 30]);
            let mut q = String::from("{ ");
            for a in 0..aliases {
                q.push_str(&format!("s{a}: __schema {{ types {{ {inner} }} }} "));
            }
            q.push('}');
            plain(q)
        }
        Intro::FragmentBomb => {
            let levels = b.rng.range(3, 12);
            let mut q = String::from("{ __schema { types { ...T0 } } }\n");
            for l in 0..levels {
                q.push_str(&format!(
                    "fragment T{l} on __Type {{ name fields {{ type {{ ...T{n} }} args {{ type {{ ...T{n} }} }} }} possibleTypes {{ ...T{n} }} }}\n",
                    n = l + 1
                ));
            }
            q.push_str(&format!("fragment T{levels} on __Type {{ name }}\n"));
            plain(q)
        }
        Intro::OddTypeName => {
            let name = match b.rng.below(4) {
                0 => "N".repeat(b.max_bytes.min(1_000_000)),
                1 => "__Type".to_string(),
                2 => String::new(),
                _ => "Node\u{0}".to_string(),
            };
            let mut lit = String::new();
            quote(&name, &mut lit);
            plain(format!(
                "{{ __type(name: {lit}) {{ name kind fields {{ name }} }} }}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_documents_parse_and_are_reproducible() {
        let schema = Schema::served();
        for i in 0..300 {
            let op = [OpKind::Query, OpKind::Mutation, OpKind::Subscription][i % 3];
            let a = generate(
                &schema,
                Rng::for_case(1, "t", i as u64),
                Family::Valid,
                op,
                100_000,
            );
            let again = generate(
                &schema,
                Rng::for_case(1, "t", i as u64),
                Family::Valid,
                op,
                100_000,
            );
            assert_eq!(a.gql.query, again.gql.query);
            async_graphql::parser::parse_query(&a.gql.query)
                .unwrap_or_else(|e| panic!("case {i} does not parse: {e}\n{}", a.gql.query));
        }
    }

    #[test]
    fn value_twists_find_a_place() {
        let schema = Schema::served();
        for t in ValueTwist::ALL {
            for i in 0..20 {
                let g = generate(
                    &schema,
                    Rng::for_case(2, t.name(), i),
                    Family::Value(t),
                    OpKind::Query,
                    100_000,
                );
                let mut b = Builder::new(&schema, Rng::for_case(2, t.name(), i), 100_000);
                b.twist = Some(t);
                let _ = b.operation(OpKind::Query, None);
                assert!(b.twisted, "{} found no place:\n{}", t.name(), g.gql.query);
            }
        }
    }

    #[test]
    fn the_standard_introspection_query_parses() {
        async_graphql::parser::parse_query(standard_introspection_query()).expect("parses");
    }
}
