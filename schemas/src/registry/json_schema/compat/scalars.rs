//! Rules for strings (lengths, pattern), numbers (bounds, multipleOf, integer vs number),
//! `enum` and `const`.
//!
//! Numeric bounds are compared as effective bounds: `maximum` and `exclusiveMaximum` (either
//! draft's form) make one upper bound, so trading `maximum: 10` for `exclusiveMaximum: 11`
//! is seen as the widening it is. Confluent compares the two keywords separately; the verdicts
//! agree whenever a schema keeps using the same keyword.

use std::collections::HashSet;

use serde_json::Value;

use super::{Change, Ctx};
use crate::registry::json_schema::model::{NumberRules, StringRules};

pub(crate) fn compare_strings(ctx: &mut Ctx, original: &StringRules, update: &StringRules) {
    use Change::*;
    compare_limit(
        ctx,
        "maxLength",
        original.max_length,
        update.max_length,
        [
            MAX_LENGTH_ADDED,
            MAX_LENGTH_REMOVED,
            MAX_LENGTH_INCREASED,
            MAX_LENGTH_DECREASED,
        ],
    );
    compare_limit(
        ctx,
        "minLength",
        original.min_length,
        update.min_length,
        [
            MIN_LENGTH_ADDED,
            MIN_LENGTH_REMOVED,
            MIN_LENGTH_INCREASED,
            MIN_LENGTH_DECREASED,
        ],
    );
    let texts = [
        (
            "pattern",
            &original.pattern,
            &update.pattern,
            [PATTERN_ADDED, PATTERN_REMOVED, PATTERN_CHANGED],
        ),
        (
            "format",
            &original.format,
            &update.format,
            [FORMAT_ADDED, FORMAT_REMOVED, FORMAT_CHANGED],
        ),
        (
            "contentEncoding",
            &original.content_encoding,
            &update.content_encoding,
            [
                CONTENT_ENCODING_ADDED,
                CONTENT_ENCODING_REMOVED,
                CONTENT_ENCODING_CHANGED,
            ],
        ),
        (
            "contentMediaType",
            &original.content_media_type,
            &update.content_media_type,
            [
                CONTENT_MEDIA_TYPE_ADDED,
                CONTENT_MEDIA_TYPE_REMOVED,
                CONTENT_MEDIA_TYPE_CHANGED,
            ],
        ),
    ];
    for (keyword, was, is, [added, removed, changed]) in texts {
        match (was, is) {
            (None, Some(_)) => ctx.add_at(keyword, added),
            (Some(_), None) => ctx.add_at(keyword, removed),
            (Some(a), Some(b)) if a != b => ctx.add_at(keyword, changed),
            _ => {}
        }
    }
}

/// Compares a count limit; `changes` are [added, removed, increased, decreased].
pub(crate) fn compare_limit(
    ctx: &mut Ctx,
    keyword: &str,
    original: Option<u64>,
    update: Option<u64>,
    changes: [Change; 4],
) {
    match (original, update) {
        (None, Some(_)) => ctx.add_at(keyword, changes[0]),
        (Some(_), None) => ctx.add_at(keyword, changes[1]),
        (Some(a), Some(b)) if a < b => ctx.add_at(keyword, changes[2]),
        (Some(a), Some(b)) if a > b => ctx.add_at(keyword, changes[3]),
        _ => {}
    }
}

/// An effective bound: its value and whether the value itself is excluded.
#[derive(Clone, Copy)]
struct Bound {
    value: f64,
    exclusive: bool,
}

fn tighter_upper(inclusive: Option<f64>, exclusive: Option<f64>) -> Option<Bound> {
    match (inclusive, exclusive) {
        (Some(i), Some(e)) if e <= i => Some(Bound {
            value: e,
            exclusive: true,
        }),
        (Some(i), _) => Some(Bound {
            value: i,
            exclusive: false,
        }),
        (None, Some(e)) => Some(Bound {
            value: e,
            exclusive: true,
        }),
        (None, None) => None,
    }
}

fn tighter_lower(inclusive: Option<f64>, exclusive: Option<f64>) -> Option<Bound> {
    match (inclusive, exclusive) {
        (Some(i), Some(e)) if e >= i => Some(Bound {
            value: e,
            exclusive: true,
        }),
        (Some(i), _) => Some(Bound {
            value: i,
            exclusive: false,
        }),
        (None, Some(e)) => Some(Bound {
            value: e,
            exclusive: true,
        }),
        (None, None) => None,
    }
}

pub(crate) fn compare_numbers(ctx: &mut Ctx, original: &NumberRules, update: &NumberRules) {
    use Change::*;
    let upper = (
        tighter_upper(original.maximum, original.exclusive_maximum),
        tighter_upper(update.maximum, update.exclusive_maximum),
    );
    let upper_changes = |exclusive: bool| {
        if exclusive {
            (
                "exclusiveMaximum",
                [
                    EXCLUSIVE_MAXIMUM_ADDED,
                    EXCLUSIVE_MAXIMUM_REMOVED,
                    EXCLUSIVE_MAXIMUM_INCREASED,
                    EXCLUSIVE_MAXIMUM_DECREASED,
                ],
            )
        } else {
            (
                "maximum",
                [
                    MAXIMUM_ADDED,
                    MAXIMUM_REMOVED,
                    MAXIMUM_INCREASED,
                    MAXIMUM_DECREASED,
                ],
            )
        }
    };
    match upper {
        (None, Some(b)) => {
            let (k, c) = upper_changes(b.exclusive);
            ctx.add_at(k, c[0]);
        }
        (Some(a), None) => {
            let (k, c) = upper_changes(a.exclusive);
            ctx.add_at(k, c[1]);
        }
        (Some(a), Some(b)) => {
            let (k, c) = upper_changes(b.exclusive);
            if b.value > a.value || (b.value == a.value && a.exclusive && !b.exclusive) {
                ctx.add_at(k, c[2]);
            } else if b.value < a.value || (b.value == a.value && !a.exclusive && b.exclusive) {
                ctx.add_at(k, c[3]);
            }
        }
        (None, None) => {}
    }

    let lower = (
        tighter_lower(original.minimum, original.exclusive_minimum),
        tighter_lower(update.minimum, update.exclusive_minimum),
    );
    let lower_changes = |exclusive: bool| {
        if exclusive {
            (
                "exclusiveMinimum",
                [
                    EXCLUSIVE_MINIMUM_ADDED,
                    EXCLUSIVE_MINIMUM_REMOVED,
                    EXCLUSIVE_MINIMUM_INCREASED,
                    EXCLUSIVE_MINIMUM_DECREASED,
                ],
            )
        } else {
            (
                "minimum",
                [
                    MINIMUM_ADDED,
                    MINIMUM_REMOVED,
                    MINIMUM_INCREASED,
                    MINIMUM_DECREASED,
                ],
            )
        }
    };
    match lower {
        (None, Some(b)) => {
            let (k, c) = lower_changes(b.exclusive);
            ctx.add_at(k, c[0]);
        }
        (Some(a), None) => {
            let (k, c) = lower_changes(a.exclusive);
            ctx.add_at(k, c[1]);
        }
        (Some(a), Some(b)) => {
            let (k, c) = lower_changes(b.exclusive);
            if b.value > a.value || (b.value == a.value && !a.exclusive && b.exclusive) {
                ctx.add_at(k, c[2]);
            } else if b.value < a.value || (b.value == a.value && a.exclusive && !b.exclusive) {
                ctx.add_at(k, c[3]);
            }
        }
        (None, None) => {}
    }

    match (original.multiple_of, update.multiple_of) {
        (None, Some(_)) => ctx.add_at("multipleOf", MULTIPLE_OF_ADDED),
        (Some(_), None) => ctx.add_at("multipleOf", MULTIPLE_OF_REMOVED),
        (Some(a), Some(b)) if a != b => {
            if divides(a, b) {
                ctx.add_at("multipleOf", MULTIPLE_OF_EXPANDED);
            } else if divides(b, a) {
                ctx.add_at("multipleOf", MULTIPLE_OF_REDUCED);
            } else {
                ctx.add_at("multipleOf", MULTIPLE_OF_CHANGED);
            }
        }
        _ => {}
    }

    match (original.integer, update.integer) {
        (true, false) => ctx.add(TYPE_EXTENDED),
        (false, true) => ctx.add(TYPE_NARROWED),
        _ => {}
    }
}

/// Is `multiple` a whole multiple of `base` (within floating-point error)?
fn divides(base: f64, multiple: f64) -> bool {
    if base == 0.0 || !base.is_finite() || !multiple.is_finite() {
        return false;
    }
    let ratio = multiple / base;
    ratio.is_finite() && (ratio - ratio.round()).abs() <= 1e-9 * ratio.abs().max(1.0)
}

pub(crate) fn compare_enums(ctx: &mut Ctx, original: &[Value], update: &[Value]) {
    // Sets of written values: linear time even for very long enums.
    let written = |values: &[Value]| values.iter().map(Value::to_string).collect::<HashSet<String>>();
    let (original, update) = (written(original), written(update));
    let update_has_all = original.is_subset(&update);
    let original_has_all = update.is_subset(&original);
    if update_has_all && original_has_all {
        return;
    }
    let change = if update_has_all {
        Change::ENUM_ARRAY_EXTENDED
    } else if original_has_all {
        Change::ENUM_ARRAY_NARROWED
    } else {
        Change::ENUM_ARRAY_CHANGED
    };
    ctx.add_at("enum", change);
}
