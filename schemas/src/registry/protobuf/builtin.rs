//! Import paths every Protobuf schema may use without a reference.
//!
//! `google/protobuf/*.proto` come from protox (the well-known types). The files here are the
//! other ones Confluent's registry and converters treat as built in: `confluent/meta.proto`,
//! `confluent/type/decimal.proto` (what the Protobuf converter emits for Connect decimals) and
//! the `google/type/*` common types. protox does not ship them, so they are written out here,
//! declaring the same packages, message names, field names and numbers (the wire contract).
//! Rule: an entry must compile on its own with only well-known imports.

/// (import path, .proto text)
pub(crate) const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "confluent/meta.proto",
        r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
"#,
    ),
    (
        "confluent/type/decimal.proto",
        r#"syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#,
    ),
    (
        "google/type/date.proto",
        r#"syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"#,
    ),
    (
        "google/type/timeofday.proto",
        r#"syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
"#,
    ),
    (
        "google/type/datetime.proto",
        r#"syntax = "proto3";
package google.type;
import "google/protobuf/duration.proto";
message DateTime {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
  int32 hours = 4;
  int32 minutes = 5;
  int32 seconds = 6;
  int32 nanos = 7;
  oneof time_offset {
    google.protobuf.Duration utc_offset = 8;
    TimeZone time_zone = 9;
  }
}
message TimeZone {
  string id = 1;
  string version = 2;
}
"#,
    ),
    (
        "google/type/dayofweek.proto",
        r#"syntax = "proto3";
package google.type;
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0;
  MONDAY = 1;
  TUESDAY = 2;
  WEDNESDAY = 3;
  THURSDAY = 4;
  FRIDAY = 5;
  SATURDAY = 6;
  SUNDAY = 7;
}
"#,
    ),
    (
        "google/type/month.proto",
        r#"syntax = "proto3";
package google.type;
enum Month {
  MONTH_UNSPECIFIED = 0;
  JANUARY = 1;
  FEBRUARY = 2;
  MARCH = 3;
  APRIL = 4;
  MAY = 5;
  JUNE = 6;
  JULY = 7;
  AUGUST = 8;
  SEPTEMBER = 9;
  OCTOBER = 10;
  NOVEMBER = 11;
  DECEMBER = 12;
}
"#,
    ),
    (
        "google/type/calendar_period.proto",
        r#"syntax = "proto3";
package google.type;
enum CalendarPeriod {
  CALENDAR_PERIOD_UNSPECIFIED = 0;
  DAY = 1;
  WEEK = 2;
  FORTNIGHT = 3;
  MONTH = 4;
  QUARTER = 5;
  HALF = 6;
  YEAR = 7;
}
"#,
    ),
    (
        "google/type/latlng.proto",
        r#"syntax = "proto3";
package google.type;
message LatLng {
  double latitude = 1;
  double longitude = 2;
}
"#,
    ),
    (
        "google/type/money.proto",
        r#"syntax = "proto3";
package google.type;
message Money {
  string currency_code = 1;
  int64 units = 2;
  int32 nanos = 3;
}
"#,
    ),
    (
        "google/type/fraction.proto",
        r#"syntax = "proto3";
package google.type;
message Fraction {
  int64 numerator = 1;
  int64 denominator = 2;
}
"#,
    ),
    (
        "google/type/quaternion.proto",
        r#"syntax = "proto3";
package google.type;
message Quaternion {
  double x = 1;
  double y = 2;
  double z = 3;
  double w = 4;
}
"#,
    ),
    (
        "google/type/expr.proto",
        r#"syntax = "proto3";
package google.type;
message Expr {
  string expression = 1;
  string title = 2;
  string description = 3;
  string location = 4;
}
"#,
    ),
    (
        "google/type/color.proto",
        r#"syntax = "proto3";
package google.type;
import "google/protobuf/wrappers.proto";
message Color {
  float red = 1;
  float green = 2;
  float blue = 3;
  google.protobuf.FloatValue alpha = 4;
}
"#,
    ),
    (
        "google/type/postal_address.proto",
        r#"syntax = "proto3";
package google.type;
message PostalAddress {
  int32 revision = 1;
  string region_code = 2;
  string language_code = 3;
  string postal_code = 4;
  string sorting_code = 5;
  string administrative_area = 6;
  string locality = 7;
  string sublocality = 8;
  repeated string address_lines = 9;
  repeated string recipients = 10;
  string organization = 11;
}
"#,
    ),
];

/// The text of a built-in (non-`google/protobuf`) import, if `name` is one.
pub(crate) fn builtin_source(name: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(path, _)| *path == name)
        .map(|(_, text)| *text)
}
