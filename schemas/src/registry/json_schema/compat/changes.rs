//! The kinds of difference between two JSON schemas, named as Confluent's registry names them
//! (its `errorType` values), which of them a reader tolerates, and the message for the others.
//!
//! Rule: the STRICT compatible set is Confluent's; LENIENT adds exactly the open-content-model
//! relaxations of `compatibilityPolicy=LENIENT` (see `is_compatible`).

macro_rules! changes {
    ($($name:ident),* $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Change {
            $($name),*
        }

        impl Change {
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Change::$name => stringify!($name)),*
                }
            }
        }
    };
}

changes! {
    ID_CHANGED, DESCRIPTION_CHANGED, TITLE_CHANGED, DEFAULT_CHANGED,
    SCHEMA_ADDED, SCHEMA_REMOVED, TYPE_EXTENDED, TYPE_NARROWED, TYPE_CHANGED,

    MAX_LENGTH_ADDED, MAX_LENGTH_REMOVED, MAX_LENGTH_INCREASED, MAX_LENGTH_DECREASED,
    MIN_LENGTH_ADDED, MIN_LENGTH_REMOVED, MIN_LENGTH_INCREASED, MIN_LENGTH_DECREASED,
    PATTERN_ADDED, PATTERN_REMOVED, PATTERN_CHANGED,

    MAXIMUM_ADDED, MAXIMUM_REMOVED, MAXIMUM_INCREASED, MAXIMUM_DECREASED,
    MINIMUM_ADDED, MINIMUM_REMOVED, MINIMUM_INCREASED, MINIMUM_DECREASED,
    EXCLUSIVE_MAXIMUM_ADDED, EXCLUSIVE_MAXIMUM_REMOVED, EXCLUSIVE_MAXIMUM_INCREASED,
    EXCLUSIVE_MAXIMUM_DECREASED, EXCLUSIVE_MINIMUM_ADDED, EXCLUSIVE_MINIMUM_REMOVED,
    EXCLUSIVE_MINIMUM_INCREASED, EXCLUSIVE_MINIMUM_DECREASED,
    MULTIPLE_OF_ADDED, MULTIPLE_OF_REMOVED, MULTIPLE_OF_EXPANDED, MULTIPLE_OF_REDUCED,
    MULTIPLE_OF_CHANGED,

    REQUIRED_ATTRIBUTE_ADDED, REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED, REQUIRED_ATTRIBUTE_REMOVED,
    MAX_PROPERTIES_ADDED, MAX_PROPERTIES_REMOVED, MAX_PROPERTIES_INCREASED, MAX_PROPERTIES_DECREASED,
    MIN_PROPERTIES_ADDED, MIN_PROPERTIES_REMOVED, MIN_PROPERTIES_INCREASED, MIN_PROPERTIES_DECREASED,
    ADDITIONAL_PROPERTIES_ADDED, ADDITIONAL_PROPERTIES_REMOVED, ADDITIONAL_PROPERTIES_EXTENDED,
    ADDITIONAL_PROPERTIES_NARROWED,
    DEPENDENCY_ARRAY_ADDED, DEPENDENCY_ARRAY_REMOVED, DEPENDENCY_ARRAY_EXTENDED,
    DEPENDENCY_ARRAY_NARROWED, DEPENDENCY_ARRAY_CHANGED, DEPENDENCY_SCHEMA_ADDED,
    DEPENDENCY_SCHEMA_REMOVED,
    REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL,
    OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
    OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL,
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,

    MAX_ITEMS_ADDED, MAX_ITEMS_REMOVED, MAX_ITEMS_INCREASED, MAX_ITEMS_DECREASED,
    MIN_ITEMS_ADDED, MIN_ITEMS_REMOVED, MIN_ITEMS_INCREASED, MIN_ITEMS_DECREASED,
    UNIQUE_ITEMS_ADDED, UNIQUE_ITEMS_REMOVED,
    ADDITIONAL_ITEMS_ADDED, ADDITIONAL_ITEMS_REMOVED, ADDITIONAL_ITEMS_EXTENDED,
    ADDITIONAL_ITEMS_NARROWED,
    ITEM_ADDED_TO_OPEN_CONTENT_MODEL, ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
    ITEM_ADDED_TO_CLOSED_CONTENT_MODEL, ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL,
    ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,

    ENUM_ARRAY_EXTENDED, ENUM_ARRAY_NARROWED, ENUM_ARRAY_CHANGED,

    COMBINED_TYPE_EXTENDED, COMBINED_TYPE_CHANGED,
    PRODUCT_TYPE_EXTENDED, PRODUCT_TYPE_NARROWED, SUM_TYPE_EXTENDED,
    SUM_TYPE_NARROWED, COMBINED_TYPE_SUBSCHEMAS_CHANGED,
    NOT_TYPE_EXTENDED, NOT_TYPE_NARROWED,

    // Weir's own, for keywords Confluent does not compare.
    FORMAT_ADDED, FORMAT_REMOVED, FORMAT_CHANGED,
    CONTENT_ENCODING_ADDED, CONTENT_ENCODING_REMOVED, CONTENT_ENCODING_CHANGED,
    CONTENT_MEDIA_TYPE_ADDED, CONTENT_MEDIA_TYPE_REMOVED, CONTENT_MEDIA_TYPE_CHANGED,
    CONDITION_CHANGED,
    // Weir's own: the schemas nest too deeply or are too large to compare within bounds.
    TOO_COMPLEX,
}

impl Change {
    /// Does a reader using the updated schema still read what the original allowed?
    pub(crate) fn is_compatible(self, lenient: bool) -> bool {
        use Change::*;
        match self {
            ID_CHANGED
            | DESCRIPTION_CHANGED
            | TITLE_CHANGED
            | DEFAULT_CHANGED
            | SCHEMA_REMOVED
            | TYPE_EXTENDED
            | MAX_LENGTH_INCREASED
            | MAX_LENGTH_REMOVED
            | MIN_LENGTH_DECREASED
            | MIN_LENGTH_REMOVED
            | PATTERN_REMOVED
            | MAXIMUM_INCREASED
            | MAXIMUM_REMOVED
            | MINIMUM_DECREASED
            | MINIMUM_REMOVED
            | EXCLUSIVE_MAXIMUM_INCREASED
            | EXCLUSIVE_MAXIMUM_REMOVED
            | EXCLUSIVE_MINIMUM_DECREASED
            | EXCLUSIVE_MINIMUM_REMOVED
            | MULTIPLE_OF_REDUCED
            | MULTIPLE_OF_REMOVED
            | REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
            | REQUIRED_ATTRIBUTE_REMOVED
            | DEPENDENCY_ARRAY_NARROWED
            | DEPENDENCY_ARRAY_REMOVED
            | DEPENDENCY_SCHEMA_REMOVED
            | MAX_PROPERTIES_INCREASED
            | MAX_PROPERTIES_REMOVED
            | MIN_PROPERTIES_DECREASED
            | MIN_PROPERTIES_REMOVED
            | ADDITIONAL_PROPERTIES_ADDED
            | ADDITIONAL_PROPERTIES_EXTENDED
            | PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
            | OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
            | PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
            | PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
            | PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | MAX_ITEMS_INCREASED
            | MAX_ITEMS_REMOVED
            | MIN_ITEMS_DECREASED
            | MIN_ITEMS_REMOVED
            | UNIQUE_ITEMS_REMOVED
            | ADDITIONAL_ITEMS_ADDED
            | ADDITIONAL_ITEMS_EXTENDED
            | ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            | ITEM_ADDED_TO_CLOSED_CONTENT_MODEL
            | ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
            | ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL
            | ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ENUM_ARRAY_EXTENDED
            | COMBINED_TYPE_EXTENDED
            | PRODUCT_TYPE_NARROWED
            | SUM_TYPE_EXTENDED
            | NOT_TYPE_NARROWED
            | FORMAT_REMOVED
            | CONTENT_ENCODING_REMOVED
            | CONTENT_MEDIA_TYPE_REMOVED => true,
            // LENIENT trusts writers not to have used undeclared properties of an open
            // content model with another type. A property that becomes required without a
            // default still breaks old documents that lack it, so it stays incompatible.
            ADDITIONAL_PROPERTIES_NARROWED
            | ADDITIONAL_PROPERTIES_REMOVED
            | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
            | PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => lenient,
            _ => false,
        }
    }

    /// Confluent's verbose message shape: `{errorType:"...", description:"..."}`, with the
    /// reader's schema called "new" and the writer's "old".
    pub(crate) fn message(self, path: &str) -> String {
        use Change::*;
        let path = format!("#/{path}");
        let description = match self {
            MAXIMUM_ADDED
            | MINIMUM_ADDED
            | EXCLUSIVE_MAXIMUM_ADDED
            | EXCLUSIVE_MINIMUM_ADDED
            | MULTIPLE_OF_ADDED
            | MAX_LENGTH_ADDED
            | MIN_LENGTH_ADDED
            | PATTERN_ADDED
            | REQUIRED_ATTRIBUTE_ADDED
            | MAX_PROPERTIES_ADDED
            | MIN_PROPERTIES_ADDED
            | DEPENDENCY_ARRAY_ADDED
            | DEPENDENCY_SCHEMA_ADDED
            | MAX_ITEMS_ADDED
            | MIN_ITEMS_ADDED
            | UNIQUE_ITEMS_ADDED
            | ADDITIONAL_ITEMS_REMOVED
            | ADDITIONAL_PROPERTIES_REMOVED
            | FORMAT_ADDED
            | CONTENT_ENCODING_ADDED
            | CONTENT_MEDIA_TYPE_ADDED => {
                format!("the new schema adds the restriction at '{path}', absent from the old schema")
            }
            MIN_LENGTH_INCREASED
            | MINIMUM_INCREASED
            | EXCLUSIVE_MINIMUM_INCREASED
            | MIN_PROPERTIES_INCREASED
            | MULTIPLE_OF_EXPANDED
            | MIN_ITEMS_INCREASED => {
                format!("the value at '{path}' is larger in the new schema than in the old schema")
            }
            MAX_LENGTH_DECREASED
            | MAXIMUM_DECREASED
            | MAX_ITEMS_DECREASED
            | EXCLUSIVE_MAXIMUM_DECREASED
            | MAX_PROPERTIES_DECREASED => {
                format!("the value at '{path}' is smaller in the new schema than in the old schema")
            }
            PATTERN_CHANGED
            | MULTIPLE_OF_CHANGED
            | DEPENDENCY_ARRAY_CHANGED
            | FORMAT_CHANGED
            | CONTENT_ENCODING_CHANGED
            | CONTENT_MEDIA_TYPE_CHANGED
            | CONDITION_CHANGED => {
                format!("the value at '{path}' differs between the new and the old schema")
            }
            ADDITIONAL_ITEMS_NARROWED
            | ENUM_ARRAY_NARROWED
            | SUM_TYPE_NARROWED
            | ADDITIONAL_PROPERTIES_NARROWED => format!(
                "the array or combined type at '{path}' allows fewer alternatives in the new schema than in the old schema"
            ),
            DEPENDENCY_ARRAY_EXTENDED | PRODUCT_TYPE_EXTENDED | SUM_TYPE_EXTENDED | NOT_TYPE_EXTENDED => {
                format!(
                    "the array or combined type at '{path}' has more elements in the new schema than in the old schema"
                )
            }
            TYPE_CHANGED
            | TYPE_NARROWED
            | COMBINED_TYPE_CHANGED
            | COMBINED_TYPE_SUBSCHEMAS_CHANGED
            | ENUM_ARRAY_CHANGED => {
                format!("the type at '{path}' differs between the new and the old schema")
            }
            REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
            | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            | ITEM_ADDED_TO_OPEN_CONTENT_MODEL => format!(
                "the new schema declares '{path}', which the old schema's open content model left free to hold any value"
            ),
            REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => format!(
                "the new schema requires the property '{path}', which documents of the old schema do not have"
            ),
            PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL | ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL => format!(
                "the new schema has a closed content model and no longer accepts '{path}' of the old schema"
            ),
            PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => format!(
                "'{path}' of the old schema is missing in the new schema and its partially open content model does not accept it"
            ),
            PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => format!(
                "the new schema declares '{path}' differently from what the old schema's partially open content model allowed"
            ),
            SCHEMA_ADDED => {
                format!("the new schema adds a schema at '{path}' that the old schema did not have")
            }
            TOO_COMPLEX => format!(
                "the schemas at '{path}' nest too deeply or are too large to compare; treated as incompatible"
            ),
            _ => format!("the schemas differ at '{path}'"),
        };
        format!("{{errorType:\"{}\", description:\"{description}\"}}", self.name())
    }
}
