//! Rules for objects: properties against open, closed and partially open content models,
//! `required`, dependencies, `additionalProperties` and the property-count limits.
//!
//! Content models (Confluent's terms): open = any undeclared property is allowed (no
//! `additionalProperties` schema, not `false`, no `patternProperties`); closed =
//! `additionalProperties: false` without patterns; partially open = undeclared properties must
//! match a `patternProperties` or `additionalProperties` schema.
//! Rule: a property added to an open writer model is incompatible unless its schema is empty
//! (old documents may carry that name with any value); a property removed from a closed reader
//! model is incompatible unless it was `false`.

use super::{Change, Checker, Ctx};
use crate::registry::json_schema::model::{Additional, Kind, NodeId, ObjectRules};

fn is_open(rules: &ObjectRules) -> bool {
    rules.pattern_properties.is_empty() && rules.additional == Additional::Any
}

/// The schema an undeclared property `name` must match in a partially open model.
fn partial_schema(rules: &ObjectRules, name: &str) -> Option<NodeId> {
    for (_, regex, schema) in &rules.pattern_properties {
        if regex.as_ref().is_some_and(|r| r.is_match(name).unwrap_or(false)) {
            return Some(*schema);
        }
    }
    match rules.additional {
        Additional::Schema(schema) => Some(schema),
        _ => None,
    }
}

fn property(rules: &ObjectRules, name: &str) -> Option<NodeId> {
    rules
        .properties
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| *id)
}

pub(crate) fn compare(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original: &ObjectRules,
    update: &ObjectRules,
) {
    compare_required(checker, ctx, original, update);
    compare_properties(checker, ctx, original, update);
    compare_dependencies(checker, ctx, original, update);
    compare_additional(checker, ctx, original, update);
    compare_patterns(checker, ctx, original, update);
    // `propertyNames` is compared only when both have it (Confluent ignores it altogether).
    if let (Some(a), Some(b)) = (original.property_names, update.property_names) {
        ctx.enter("propertyNames");
        checker.compare(ctx, Some(a), Some(b));
        ctx.leave();
    }
    use Change::*;
    super::scalars::compare_limit(
        ctx,
        "maxProperties",
        original.max_properties,
        update.max_properties,
        [
            MAX_PROPERTIES_ADDED,
            MAX_PROPERTIES_REMOVED,
            MAX_PROPERTIES_INCREASED,
            MAX_PROPERTIES_DECREASED,
        ],
    );
    super::scalars::compare_limit(
        ctx,
        "minProperties",
        original.min_properties,
        update.min_properties,
        [
            MIN_PROPERTIES_ADDED,
            MIN_PROPERTIES_REMOVED,
            MIN_PROPERTIES_INCREASED,
            MIN_PROPERTIES_DECREASED,
        ],
    );
}

fn has_default(checker: &Checker<'_>, id: NodeId) -> bool {
    let model = checker.update();
    model.node(id).default.is_some() || model.node(model.deref(id)).default.is_some()
}

fn compare_required(checker: &mut Checker<'_>, ctx: &mut Ctx, original: &ObjectRules, update: &ObjectRules) {
    ctx.enter("required");
    for (name, _) in &original.properties {
        let Some(update_schema) = property(update, name) else {
            continue;
        };
        let was = original.required.contains(name);
        let is = update.required.contains(name);
        if was && !is {
            ctx.add_at(name, Change::REQUIRED_ATTRIBUTE_REMOVED);
        } else if !was && is {
            let change = if has_default(checker, update_schema) {
                Change::REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
            } else {
                Change::REQUIRED_ATTRIBUTE_ADDED
            };
            ctx.add_at(name, change);
        }
    }
    // Names the update newly requires without declaring them (Confluent looks only at
    // declared properties; a document of the writer may well lack them).
    for name in &update.required {
        if !original.required.contains(name) && property(update, name).is_none() {
            ctx.add_at(name, Change::REQUIRED_ATTRIBUTE_ADDED);
        }
    }
    ctx.leave();
}

/// `patternProperties` matched by their regex text. Confluent uses patterns only to cover
/// added or removed named properties; Weir also compares the patterns themselves, with the
/// same open / closed / partially open reasoning (the model beyond the patterns being the
/// `additionalProperties` keyword alone).
fn compare_patterns(checker: &mut Checker<'_>, ctx: &mut Ctx, original: &ObjectRules, update: &ObjectRules) {
    let find = |rules: &ObjectRules, pattern: &str| {
        rules
            .pattern_properties
            .iter()
            .find(|(p, _, _)| p == pattern)
            .map(|(_, _, id)| *id)
    };
    ctx.enter("patternProperties");
    for (pattern, _, original_schema) in &original.pattern_properties {
        ctx.enter(pattern.as_str());
        match (find(update, pattern), update.additional) {
            (Some(update_schema), _) => checker.compare(ctx, Some(*original_schema), Some(update_schema)),
            (None, Additional::Any) => ctx.add(Change::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL),
            (None, Additional::Schema(covering)) => {
                let (sub, compatible) = checker.compare_sub(ctx, Some(*original_schema), Some(covering));
                ctx.extend(sub);
                ctx.add(if compatible {
                    Change::PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    Change::PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            }
            (None, Additional::None) => {
                let model = checker.original();
                ctx.add(
                    if matches!(model.node(model.deref(*original_schema)).kind, Kind::False) {
                        Change::PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                    } else {
                        Change::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
                    },
                );
            }
        }
        ctx.leave();
    }
    for (pattern, _, update_schema) in &update.pattern_properties {
        if find(original, pattern).is_some() {
            continue;
        }
        ctx.enter(pattern.as_str());
        match original.additional {
            Additional::Any => {
                let model = checker.update();
                ctx.add(
                    if matches!(model.node(model.deref(*update_schema)).kind, Kind::Empty) {
                        Change::PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                    } else {
                        Change::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                    },
                );
            }
            Additional::Schema(covering) => {
                let (sub, compatible) = checker.compare_sub(ctx, Some(covering), Some(*update_schema));
                ctx.extend(sub);
                ctx.add(if compatible {
                    Change::PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    Change::PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            }
            Additional::None => ctx.add(Change::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL),
        }
        ctx.leave();
    }
    ctx.leave();
}

fn compare_properties(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original: &ObjectRules,
    update: &ObjectRules,
) {
    ctx.enter("properties");
    for (name, original_schema) in &original.properties {
        ctx.enter(name.as_str());
        match property(update, name) {
            Some(update_schema) => checker.compare(ctx, Some(*original_schema), Some(update_schema)),
            None => removed(checker, ctx, *original_schema, update, name),
        }
        ctx.leave();
    }
    for (name, update_schema) in &update.properties {
        if property(original, name).is_some() {
            continue;
        }
        ctx.enter(name.as_str());
        added(checker, ctx, original, update, name, *update_schema);
        ctx.leave();
    }
    ctx.leave();
}

/// A property the writer declared and the reader does not: only the reader's model matters.
fn removed(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original_schema: NodeId,
    update: &ObjectRules,
    name: &str,
) {
    if is_open(update) {
        return ctx.add(Change::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
    }
    if let Some(covering) = partial_schema(update, name) {
        let (sub, compatible) = checker.compare_sub(ctx, Some(original_schema), Some(covering));
        ctx.extend(sub);
        return ctx.add(if compatible {
            Change::PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        } else {
            Change::PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        });
    }
    let original = checker.original();
    if matches!(original.node(original.deref(original_schema)).kind, Kind::False) {
        ctx.add(Change::PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
    } else {
        ctx.add(Change::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL);
    }
}

/// A property the reader declares and the writer did not: only the writer's model matters.
fn added(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original: &ObjectRules,
    update: &ObjectRules,
    name: &str,
    update_schema: NodeId,
) {
    let required = update.required.iter().any(|r| r == name);
    let with_default = has_default(checker, update_schema);
    if is_open(original) {
        let model = checker.update();
        let change = if matches!(model.node(model.deref(update_schema)).kind, Kind::Empty) {
            Change::PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
        } else if !required {
            Change::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        } else if with_default {
            Change::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
        } else {
            Change::REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
        };
        return ctx.add(change);
    }
    if let Some(covering) = partial_schema(original, name) {
        let (sub, compatible) = checker.compare_sub(ctx, Some(covering), Some(update_schema));
        ctx.extend(sub);
        ctx.add(if compatible {
            Change::PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        } else {
            Change::PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
        });
    }
    ctx.add(match (required, with_default) {
        (false, _) => Change::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
        (true, true) => Change::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
        (true, false) => Change::REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    });
}

fn compare_dependencies(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original: &ObjectRules,
    update: &ObjectRules,
) {
    ctx.enter("dependencies");
    let lookup = |list: &[(String, Vec<String>)], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, deps)| deps.clone())
    };
    let mut names: Vec<&String> = original.property_dependencies.iter().map(|(n, _)| n).collect();
    names.extend(update.property_dependencies.iter().map(|(n, _)| n));
    names.sort();
    names.dedup();
    for name in names {
        let was = lookup(&original.property_dependencies, name);
        let is = lookup(&update.property_dependencies, name);
        let change = match (was, is) {
            (_, None) => Some(Change::DEPENDENCY_ARRAY_REMOVED),
            (None, Some(_)) => Some(Change::DEPENDENCY_ARRAY_ADDED),
            (Some(was), Some(is)) => {
                let grew = was.iter().all(|d| is.contains(d));
                let shrank = is.iter().all(|d| was.contains(d));
                match (grew, shrank) {
                    (true, true) => None,
                    (true, false) => Some(Change::DEPENDENCY_ARRAY_EXTENDED),
                    (false, true) => Some(Change::DEPENDENCY_ARRAY_NARROWED),
                    (false, false) => Some(Change::DEPENDENCY_ARRAY_CHANGED),
                }
            }
        };
        if let Some(change) = change {
            ctx.add_at(name, change);
        }
    }

    let lookup =
        |list: &[(String, NodeId)], name: &str| list.iter().find(|(n, _)| n == name).map(|(_, id)| *id);
    let mut names: Vec<&String> = original.schema_dependencies.iter().map(|(n, _)| n).collect();
    names.extend(update.schema_dependencies.iter().map(|(n, _)| n));
    names.sort();
    names.dedup();
    for name in names {
        let was = lookup(&original.schema_dependencies, name);
        let is = lookup(&update.schema_dependencies, name);
        ctx.enter(name.as_str());
        match (was, is) {
            (_, None) => ctx.add(Change::DEPENDENCY_SCHEMA_REMOVED),
            (None, Some(_)) => ctx.add(Change::DEPENDENCY_SCHEMA_ADDED),
            (Some(was), Some(is)) => checker.compare(ctx, Some(was), Some(is)),
        }
        ctx.leave();
    }
    ctx.leave();
}

fn compare_additional(
    checker: &mut Checker<'_>,
    ctx: &mut Ctx,
    original: &ObjectRules,
    update: &ObjectRules,
) {
    ctx.enter("additionalProperties");
    let permits = |a: Additional| a != Additional::None;
    match (original.additional, update.additional) {
        (a, b) if permits(a) != permits(b) => ctx.add(if permits(b) {
            Change::ADDITIONAL_PROPERTIES_ADDED
        } else {
            Change::ADDITIONAL_PROPERTIES_REMOVED
        }),
        (Additional::Any, Additional::Schema(_)) => ctx.add(Change::ADDITIONAL_PROPERTIES_NARROWED),
        (Additional::Schema(_), Additional::Any) => ctx.add(Change::ADDITIONAL_PROPERTIES_EXTENDED),
        (Additional::Schema(a), Additional::Schema(b)) => checker.compare(ctx, Some(a), Some(b)),
        _ => {}
    }
    ctx.leave();
}
