//! Confluent's JSON Schema compatibility rules: walk the original (writer) and the update
//! (reader) side by side, record every [`Change`] with its JSON path, and call the update
//! compatible when every change is one of the compatible kinds (STRICT, or the larger LENIENT
//! set of `compatibilityPolicy=LENIENT`).
//!
//! - this module: the walk's entry, the per-class dispatch, memo and cycle guard;
//! - [`changes`]: the change kinds, which are compatible, their messages;
//! - [`objects`], [`arrays`], [`scalars`], [`combined`]: the rules per kind of schema.
//!
//! Rules that must stay true: the walk terminates on recursive schemas (a pair of nodes being
//! compared higher up the stack counts as compatible), its depth and total work are bounded
//! (past the bounds the verdict is "incompatible: too complex", never a stack overflow), and the
//! verdict depends only on the two schemas.

mod arrays;
mod changes;
mod combined;
mod objects;
mod scalars;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub(crate) use changes::Change;

use super::model::{Kind, Model, NodeId};

/// Pairs of nodes compared (memo hits excluded) before the checker gives up.
const MAX_WORK: usize = 200_000;
/// Nesting of the walk before it gives up.
const MAX_DEPTH: usize = 64;

/// One difference: its kind and where (a JSON path relative to the walk's start, no `#/`).
#[derive(Debug, Clone)]
pub(crate) struct Diff {
    pub change: Change,
    pub path: String,
}

/// The differences found under one path; a sub-context starts at its parent's path.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    path: Vec<String>,
    diffs: Vec<Diff>,
}

impl Ctx {
    fn sub(&self) -> Ctx {
        Ctx {
            path: self.path.clone(),
            diffs: Vec::new(),
        }
    }

    pub(crate) fn enter(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    pub(crate) fn leave(&mut self) {
        self.path.pop();
    }

    pub(crate) fn add(&mut self, change: Change) {
        self.diffs.push(Diff {
            change,
            path: self.path.join("/"),
        });
    }

    pub(crate) fn add_at(&mut self, segment: &str, change: Change) {
        self.enter(segment);
        self.add(change);
        self.leave();
    }

    fn extend(&mut self, other: Ctx) {
        self.diffs.extend(other.diffs);
    }

    /// Adds differences computed relative to a pair onto this context's path.
    fn extend_rebased(&mut self, relative: &[Diff]) {
        let prefix = self.path.join("/");
        for diff in relative {
            let path = match (prefix.is_empty(), diff.path.is_empty()) {
                (true, _) => diff.path.clone(),
                (false, true) => prefix.clone(),
                (false, false) => format!("{prefix}/{}", diff.path),
            };
            self.diffs.push(Diff {
                change: diff.change,
                path,
            });
        }
    }
}

pub(crate) struct Checker<'m> {
    /// The writer's and the reader's model; `flipped` swaps their roles (inside `not`).
    models: [&'m Model; 2],
    flipped: bool,
    lenient: bool,
    memo: HashMap<(bool, NodeId, NodeId), Rc<Vec<Diff>>>,
    in_progress: HashSet<(bool, NodeId, NodeId)>,
    work: usize,
    depth: usize,
}

/// Compares `original` (the writer) with `update` (the reader); the incompatible differences
/// as messages, empty when a reader with `update` reads everything `original` allows.
pub(crate) fn check(original: &Model, update: &Model, lenient: bool) -> Vec<String> {
    let mut checker = Checker {
        models: [original, update],
        flipped: false,
        lenient,
        memo: HashMap::new(),
        in_progress: HashSet::new(),
        work: 0,
        depth: 0,
    };
    let mut ctx = Ctx::default();
    fn root_kind(model: &Model) -> &Kind {
        &model.node(model.deref(model.root)).kind
    }
    if matches!(root_kind(original), Kind::False) && !matches!(root_kind(update), Kind::False | Kind::Empty) {
        // A subject closed with `false` reopens only to `true` / `{}` (Karapace's rule; Confluent
        // accepts any reader here, vacuously, as no document was ever valid).
        ctx.add(Change::TYPE_CHANGED);
    }
    checker.compare(&mut ctx, Some(original.root), Some(update.root));
    let mut messages: Vec<String> = ctx
        .diffs
        .iter()
        .filter(|d| !d.change.is_compatible(lenient))
        .map(|d| d.change.message(&d.path))
        .collect();
    messages.dedup();
    messages
}

impl<'m> Checker<'m> {
    pub(crate) fn original(&self) -> &'m Model {
        self.models[usize::from(self.flipped)]
    }

    pub(crate) fn update(&self) -> &'m Model {
        self.models[usize::from(!self.flipped)]
    }

    /// Compares with the roles of the two schemas swapped (`not` reverses the direction).
    pub(crate) fn compare_flipped(&mut self, ctx: &mut Ctx, original: NodeId, update: NodeId) {
        self.flipped = !self.flipped;
        self.compare(ctx, Some(original), Some(update));
        self.flipped = !self.flipped;
    }

    pub(crate) fn is_compatible(&self, ctx: &Ctx) -> bool {
        ctx.diffs.iter().all(|d| d.change.is_compatible(self.lenient))
    }

    /// Compares in a fresh sub-context; returns it with its verdict.
    pub(crate) fn compare_sub(
        &mut self,
        ctx: &Ctx,
        original: Option<NodeId>,
        update: Option<NodeId>,
    ) -> (Ctx, bool) {
        let mut sub = ctx.sub();
        self.compare(&mut sub, original, update);
        let compatible = self.is_compatible(&sub);
        (sub, compatible)
    }

    pub(crate) fn compare(&mut self, ctx: &mut Ctx, original: Option<NodeId>, update: Option<NodeId>) {
        let (original, update) = match (original, update) {
            (None, None) => return,
            (None, Some(_)) => return ctx.add(Change::SCHEMA_ADDED),
            (Some(_), None) => return ctx.add(Change::SCHEMA_REMOVED),
            (Some(o), Some(u)) => (self.original().deref(o), self.update().deref(u)),
        };
        let key = (self.flipped, original, update);
        if let Some(cached) = self.memo.get(&key) {
            let cached = Rc::clone(cached);
            return ctx.extend_rebased(&cached);
        }
        if self.in_progress.contains(&key) {
            // Recursion: this pair is being compared further up; assume it compatible there.
            return;
        }
        if self.work >= MAX_WORK || self.depth >= MAX_DEPTH {
            return ctx.add(Change::TOO_COMPLEX);
        }
        self.work += 1;
        self.depth += 1;
        self.in_progress.insert(key);
        let mut relative = Ctx::default();
        self.compare_nodes(&mut relative, original, update);
        self.in_progress.remove(&key);
        self.depth -= 1;
        ctx.extend_rebased(&relative.diffs);
        self.memo.insert(key, Rc::new(relative.diffs));
    }

    fn compare_nodes(&mut self, ctx: &mut Ctx, o: NodeId, u: NodeId) {
        let original = self.original().node(o);
        let update = self.update().node(u);
        match (&original.kind, &update.kind) {
            (Kind::Combined { .. }, Kind::Combined { .. }) => {}
            (
                _,
                Kind::Combined {
                    criterion,
                    subschemas,
                },
            ) if combined::update_is_wider_union(self, ctx, o, *criterion, subschemas) => return,
            (
                Kind::Combined {
                    criterion,
                    subschemas,
                },
                _,
            ) if combined::original_is_narrower_product(self, ctx, *criterion, subschemas, u) => {
                return;
            }
            _ => {}
        }

        if original.kind.class() != update.kind.class() {
            // `false` becomes anything, and anything becomes the empty schema, compatibly.
            if !matches!(original.kind, Kind::False) && update.kind.class() != Kind::Empty.class() {
                ctx.add(Change::TYPE_CHANGED);
            }
            return;
        }

        if original.id != update.id {
            ctx.add(Change::ID_CHANGED);
        }
        if original.title != update.title {
            ctx.add(Change::TITLE_CHANGED);
        }
        if original.description != update.description {
            ctx.add(Change::DESCRIPTION_CHANGED);
        }
        if original.default != update.default {
            ctx.add(Change::DEFAULT_CHANGED);
        }

        match (&original.kind, &update.kind) {
            (Kind::String(a), Kind::String(b)) => scalars::compare_strings(ctx, a, b),
            (Kind::Number(a), Kind::Number(b)) => scalars::compare_numbers(ctx, a, b),
            (Kind::Enum(a), Kind::Enum(b)) => scalars::compare_enums(ctx, a, b),
            (Kind::Object(a), Kind::Object(b)) => objects::compare(self, ctx, a, b),
            (Kind::Array(a), Kind::Array(b)) => arrays::compare(self, ctx, a, b),
            (
                Kind::Combined {
                    criterion: ca,
                    subschemas: sa,
                },
                Kind::Combined {
                    criterion: cb,
                    subschemas: sb,
                },
            ) => combined::compare(self, ctx, (*ca, sa), (*cb, sb)),
            (Kind::Not(a), Kind::Not(b)) => combined::compare_not(self, ctx, *a, *b),
            (
                Kind::Conditional {
                    condition: ia,
                    then: ta,
                    otherwise: ea,
                },
                Kind::Conditional {
                    condition: ib,
                    then: tb,
                    otherwise: eb,
                },
            ) => {
                // A changed condition sends documents down other branches: incompatible
                // unless the two conditions are the same schema.
                if !self.original().same_json(*ia, self.update(), *ib) {
                    ctx.add_at("if", Change::CONDITION_CHANGED);
                }
                ctx.enter("then");
                self.compare(ctx, *ta, *tb);
                ctx.leave();
                ctx.enter("else");
                self.compare(ctx, *ea, *eb);
                ctx.leave();
            }
            _ => {}
        }
    }
}
