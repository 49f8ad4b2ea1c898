//! Rules for arrays: the all-items schema, tuple positions (`items` arrays, `prefixItems`)
//! against the content model of what follows the tuple (`additionalItems`, or `items` next to
//! `prefixItems`), and the item-count and uniqueness limits.
//!
//! Rule (as for object properties): a position added where the writer's model was open is
//! incompatible unless its schema is empty; a position removed where the reader's model is
//! closed is incompatible unless it was `false`.

use super::{Change, Checker, Ctx};
use crate::registry::json_schema::model::{Additional, ArrayRules, Kind};

pub(crate) fn compare(checker: &mut Checker<'_>, ctx: &mut Ctx, original: &ArrayRules, update: &ArrayRules) {
    ctx.enter("items");
    checker.compare(ctx, original.all_items, update.all_items);
    ctx.leave();
    compare_tuple(checker, ctx, original, update);
    // `contains` is compared only when both have it (Confluent ignores it altogether).
    if let (Some(a), Some(b)) = (original.contains, update.contains) {
        ctx.enter("contains");
        checker.compare(ctx, Some(a), Some(b));
        ctx.leave();
    }
    compare_additional(checker, ctx, original, update);

    use Change::*;
    super::scalars::compare_limit(
        ctx,
        "maxItems",
        original.max_items,
        update.max_items,
        [
            MAX_ITEMS_ADDED,
            MAX_ITEMS_REMOVED,
            MAX_ITEMS_INCREASED,
            MAX_ITEMS_DECREASED,
        ],
    );
    super::scalars::compare_limit(
        ctx,
        "minItems",
        original.min_items,
        update.min_items,
        [
            MIN_ITEMS_ADDED,
            MIN_ITEMS_REMOVED,
            MIN_ITEMS_INCREASED,
            MIN_ITEMS_DECREASED,
        ],
    );
    match (original.unique_items, update.unique_items) {
        (true, false) => ctx.add_at("uniqueItems", UNIQUE_ITEMS_REMOVED),
        (false, true) => ctx.add_at("uniqueItems", UNIQUE_ITEMS_ADDED),
        _ => {}
    }
}

fn compare_tuple(checker: &mut Checker<'_>, ctx: &mut Ctx, original: &ArrayRules, update: &ArrayRules) {
    let shared = original.tuple.len().min(update.tuple.len());
    for index in 0..shared {
        ctx.enter(format!("items/{index}"));
        checker.compare(ctx, Some(original.tuple[index]), Some(update.tuple[index]));
        ctx.leave();
    }
    for (index, &original_schema) in original.tuple.iter().enumerate().skip(shared) {
        ctx.enter(format!("items/{index}"));
        match update.additional {
            Additional::Any => ctx.add(Change::ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL),
            Additional::Schema(covering) => {
                let (sub, compatible) = checker.compare_sub(ctx, Some(original_schema), Some(covering));
                ctx.extend(sub);
                ctx.add(if compatible {
                    Change::ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    Change::ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            }
            Additional::None => {
                let model = checker.original();
                ctx.add(
                    if matches!(model.node(model.deref(original_schema)).kind, Kind::False) {
                        Change::ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                    } else {
                        Change::ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL
                    },
                );
            }
        }
        ctx.leave();
    }
    for (index, &update_schema) in update.tuple.iter().enumerate().skip(shared) {
        ctx.enter(format!("items/{index}"));
        match original.additional {
            Additional::Any => {
                let model = checker.update();
                ctx.add(
                    if matches!(model.node(model.deref(update_schema)).kind, Kind::Empty) {
                        Change::ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                    } else {
                        Change::ITEM_ADDED_TO_OPEN_CONTENT_MODEL
                    },
                );
            }
            Additional::Schema(covering) => {
                let (sub, compatible) = checker.compare_sub(ctx, Some(covering), Some(update_schema));
                ctx.extend(sub);
                ctx.add(if compatible {
                    Change::ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    Change::ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            }
            Additional::None => ctx.add(Change::ITEM_ADDED_TO_CLOSED_CONTENT_MODEL),
        }
        ctx.leave();
    }
}

fn compare_additional(checker: &mut Checker<'_>, ctx: &mut Ctx, original: &ArrayRules, update: &ArrayRules) {
    ctx.enter("additionalItems");
    let permits = |a: Additional| a != Additional::None;
    match (original.additional, update.additional) {
        (a, b) if permits(a) != permits(b) => ctx.add(if permits(a) {
            Change::ADDITIONAL_ITEMS_REMOVED
        } else {
            Change::ADDITIONAL_ITEMS_ADDED
        }),
        (Additional::Any, Additional::Schema(_)) => ctx.add(Change::ADDITIONAL_ITEMS_NARROWED),
        (Additional::Schema(_), Additional::Any) => ctx.add(Change::ADDITIONAL_ITEMS_EXTENDED),
        (Additional::Schema(a), Additional::Schema(b)) => checker.compare(ctx, Some(a), Some(b)),
        _ => {}
    }
    ctx.leave();
}
