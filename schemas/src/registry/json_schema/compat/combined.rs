//! Rules for `allOf` / `anyOf` / `oneOf` (including the implicit ones: a `type` array, a schema
//! mixing keywords of several kinds) and `not`.
//!
//! Two combined schemas match when their criteria are compatible and a maximum matching of
//! "original subschema -> compatible update subschema" covers the smaller side; a union that
//! gains alternatives, or a product that loses parts, stays compatible. A plain schema against
//! a union is compatible when one alternative reads it; a product against a plain schema when
//! one of its parts is read by it.
//! Rule: `not` reverses the direction (the reader may exclude less, never more).

use super::{Change, Checker, Ctx};
use crate::registry::json_schema::model::{Criterion, Model, NodeId};

/// Original is not combined, the update is: compatible when the update's only subschema, or
/// (for `anyOf` / `oneOf`) one of its alternatives, reads the original. True when settled.
pub(crate) fn update_is_wider_union(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original: NodeId,
    criterion: Criterion,
    subschemas: &[NodeId],
) -> bool {
    if subschemas.len() == 1 {
        let (sub, compatible) = checker.compare_sub(ctx, Some(original), Some(subschemas[0]));
        if compatible {
            ctx.extend(sub);
            return true;
        }
    } else if criterion != Criterion::AllOf {
        for &alternative in subschemas {
            let (sub, compatible) = checker.compare_sub(ctx, Some(original), Some(alternative));
            if compatible {
                ctx.extend(sub);
                ctx.add(Change::SUM_TYPE_EXTENDED);
                return true;
            }
        }
    }
    false
}

/// Original is combined, the update is not: compatible when the original's only subschema,
/// or (for `allOf`) one of its parts, is read by the update. True when settled.
pub(crate) fn original_is_narrower_product(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    criterion: Criterion,
    subschemas: &[NodeId],
    update: NodeId,
) -> bool {
    if subschemas.len() == 1 {
        let (sub, compatible) = checker.compare_sub(ctx, Some(subschemas[0]), Some(update));
        if compatible {
            ctx.extend(sub);
            return true;
        }
    } else if criterion == Criterion::AllOf {
        for &part in subschemas {
            let (sub, compatible) = checker.compare_sub(ctx, Some(part), Some(update));
            if compatible {
                ctx.extend(sub);
                ctx.add(Change::PRODUCT_TYPE_NARROWED);
                return true;
            }
        }
    }
    false
}

/// Subschemas with duplicates (same JSON) collapsed, first occurrence kept.
fn distinct(model: &Model, subschemas: &[NodeId]) -> Vec<NodeId> {
    let mut kept: Vec<NodeId> = Vec::with_capacity(subschemas.len());
    for &id in subschemas {
        if !kept.iter().any(|&k| model.same_json(k, model, id)) {
            kept.push(id);
        }
    }
    kept
}

pub(crate) fn compare(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    (original_criterion, original_subschemas): (Criterion, &[NodeId]),
    (update_criterion, update_subschemas): (Criterion, &[NodeId]),
) {
    let criterion_change = if original_criterion == update_criterion {
        None
    } else {
        let singleton = |s: &[NodeId]| s.len() == 1;
        Some(match update_criterion {
            // allOf / oneOf -> anyOf accepts at least as much.
            Criterion::AnyOf => Change::COMBINED_TYPE_EXTENDED,
            Criterion::OneOf if singleton(original_subschemas) => Change::COMBINED_TYPE_EXTENDED,
            Criterion::AllOf if singleton(original_subschemas) && singleton(update_subschemas) => {
                Change::COMBINED_TYPE_EXTENDED
            }
            _ => Change::COMBINED_TYPE_CHANGED,
        })
    };
    if let Some(change) = criterion_change {
        ctx.add(change);
        if change == Change::COMBINED_TYPE_CHANGED {
            return;
        }
    }

    let originals = distinct(checker.original(), original_subschemas);
    let updates = distinct(checker.update(), update_subschemas);
    let product = update_criterion == Criterion::AllOf;
    if originals.len() < updates.len() {
        ctx.add(if product {
            Change::PRODUCT_TYPE_EXTENDED
        } else {
            Change::SUM_TYPE_EXTENDED
        });
    } else if originals.len() > updates.len() {
        ctx.add(if product {
            Change::PRODUCT_TYPE_NARROWED
        } else {
            Change::SUM_TYPE_NARROWED
        });
    }

    // Compatible pairs, with the differences each would contribute.
    let mut edges: Vec<Vec<(usize, Ctx)>> = Vec::with_capacity(originals.len());
    for (index, &o) in originals.iter().enumerate() {
        ctx.enter(format!("{}/{index}", original_criterion.keyword()));
        let mut row = Vec::new();
        for (j, &u) in updates.iter().enumerate() {
            let (sub, compatible) = checker.compare_sub(ctx, Some(o), Some(u));
            if compatible {
                row.push((j, sub));
            }
        }
        ctx.leave();
        edges.push(row);
    }
    let matching = maximum_matching(&edges, updates.len());
    let matched = matching.iter().filter(|m| m.is_some()).count();
    for (i, m) in matching.into_iter().enumerate() {
        if let Some(j) = m
            && let Some(pos) = edges[i].iter().position(|(k, _)| *k == j)
        {
            let (_, sub) = edges[i].swap_remove(pos);
            ctx.extend(sub);
        }
    }
    if matched < originals.len().min(updates.len()) {
        ctx.add(Change::COMBINED_TYPE_SUBSCHEMAS_CHANGED);
    }
}

/// Maximum bipartite matching (augmenting paths): for each left vertex, its right partner.
fn maximum_matching(edges: &[Vec<(usize, Ctx)>], right_len: usize) -> Vec<Option<usize>> {
    let mut right_owner: Vec<Option<usize>> = vec![None; right_len];
    for left in 0..edges.len() {
        let mut seen = vec![false; right_len];
        augment(edges, left, &mut seen, &mut right_owner);
    }
    let mut left_partner = vec![None; edges.len()];
    for (right, owner) in right_owner.iter().enumerate() {
        if let Some(left) = owner {
            left_partner[*left] = Some(right);
        }
    }
    left_partner
}

/// Iterative augmenting-path search from `start` (no recursion: sizes come from user input).
fn augment(
    edges: &[Vec<(usize, Ctx)>],
    start: usize,
    seen: &mut [bool],
    right_owner: &mut [Option<usize>],
) -> bool {
    // (left vertex, next edge to try, the right vertex through which it was reached)
    let mut stack: Vec<(usize, usize, Option<usize>)> = vec![(start, 0, None)];
    while let Some(top) = stack.last_mut() {
        let (left, next) = (top.0, top.1);
        if next >= edges[left].len() {
            stack.pop();
            continue;
        }
        top.1 += 1;
        let right = edges[left][next].0;
        if seen[right] {
            continue;
        }
        seen[right] = true;
        match right_owner[right] {
            None => {
                // Flip the alternating path: each left vertex takes the right one it reached.
                let mut current = right;
                for &(l, _, came_from) in stack.iter().rev() {
                    right_owner[current] = Some(l);
                    match came_from {
                        Some(r) => current = r,
                        None => break,
                    }
                }
                return true;
            }
            Some(owner) => stack.push((owner, 0, Some(right))),
        }
    }
    false
}

pub(crate) fn compare_not(checker: &mut Checker<'_>, ctx: &mut Ctx, original: NodeId, update: NodeId) {
    ctx.enter("not");
    let mut sub = Ctx::default();
    checker.compare_flipped(&mut sub, update, original);
    let narrowed = checker.is_compatible(&sub);
    ctx.add(if narrowed {
        Change::NOT_TYPE_NARROWED
    } else {
        Change::NOT_TYPE_EXTENDED
    });
    ctx.leave();
}
