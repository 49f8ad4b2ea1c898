//! Connect values <-> prost-reflect dynamic messages.

use super::*;

pub(super) fn days_to_civil(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's civil_from_days; hand-written because chrono is not a formats dependency
    // and this is the only date arithmetic needed.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(super) fn civil_to_days(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn to_pv(kind: &Kind, schema: &Schema, v: &Value) -> Result<Pv, String> {
    Ok(match (kind, v) {
        (Kind::Message(m), _) if m.full_name() == "google.protobuf.Timestamp" => {
            let Value::Int64(ms) = v else {
                return Err(format!("a {} for a Timestamp", v.type_name()));
            };
            let mut msg = DynamicMessage::new(m.clone());
            msg.set_field_by_name("seconds", Pv::I64(ms.div_euclid(1000)));
            msg.set_field_by_name("nanos", Pv::I32((ms.rem_euclid(1000) * 1_000_000) as i32));
            Pv::Message(msg)
        }
        (Kind::Message(m), _) if m.full_name() == "google.type.Date" => {
            let Value::Int32(days) = v else {
                return Err(format!("a {} for a Date", v.type_name()));
            };
            let (y, mo, d) = days_to_civil(i64::from(*days));
            let mut msg = DynamicMessage::new(m.clone());
            msg.set_field_by_name("year", Pv::I32(y as i32));
            msg.set_field_by_name("month", Pv::I32(mo as i32));
            msg.set_field_by_name("day", Pv::I32(d as i32));
            Pv::Message(msg)
        }
        (Kind::Message(m), _) if m.full_name() == "google.type.TimeOfDay" => {
            let Value::Int32(ms) = v else {
                return Err(format!("a {} for a Time", v.type_name()));
            };
            let mut msg = DynamicMessage::new(m.clone());
            msg.set_field_by_name("hours", Pv::I32(ms / 3_600_000));
            msg.set_field_by_name("minutes", Pv::I32(ms / 60_000 % 60));
            msg.set_field_by_name("seconds", Pv::I32(ms / 1000 % 60));
            msg.set_field_by_name("nanos", Pv::I32(ms % 1000 * 1_000_000));
            Pv::Message(msg)
        }
        (Kind::Message(m), _) if m.full_name() == "confluent.type.Decimal" => {
            let Value::Bytes(b) = v else {
                return Err(format!("a {} for a Decimal", v.type_name()));
            };
            let scale: i32 = schema
                .parameters
                .get(DECIMAL_SCALE)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let mut msg = DynamicMessage::new(m.clone());
            msg.set_field_by_name("value", Pv::Bytes(b.clone()));
            msg.set_field_by_name("scale", Pv::I32(scale));
            Pv::Message(msg)
        }
        (Kind::Message(m), _) if WRAPPERS.iter().any(|(n, _)| *n == m.full_name()) => {
            let value_field = m.get_field(1).ok_or("wrapper without value")?;
            let mut msg = DynamicMessage::new(m.clone());
            msg.set_field(&value_field, to_pv(&value_field.kind(), schema, v)?);
            Pv::Message(msg)
        }
        (Kind::Message(m), Value::Struct(values)) => Pv::Message(to_message(m, schema, values)?),
        (Kind::Int32 | Kind::Sint32 | Kind::Sfixed32, Value::Int8(x)) => Pv::I32(i32::from(*x)),
        (Kind::Int32 | Kind::Sint32 | Kind::Sfixed32, Value::Int16(x)) => Pv::I32(i32::from(*x)),
        (Kind::Int32 | Kind::Sint32 | Kind::Sfixed32, Value::Int32(x)) => Pv::I32(*x),
        (Kind::Int64 | Kind::Sint64 | Kind::Sfixed64, Value::Int64(x)) => Pv::I64(*x),
        (Kind::Int64 | Kind::Sint64 | Kind::Sfixed64, Value::Int32(x)) => Pv::I64(i64::from(*x)),
        (Kind::Uint32 | Kind::Fixed32, Value::Int64(x)) => {
            Pv::U32(u32::try_from(*x).map_err(|_| format!("{x} out of range for uint32"))?)
        }
        (Kind::Uint32 | Kind::Fixed32, Value::Int32(x)) => {
            Pv::U32(u32::try_from(*x).map_err(|_| format!("{x} out of range for uint32"))?)
        }
        (Kind::Uint64 | Kind::Fixed64, Value::Int64(x)) => Pv::U64(*x as u64),
        (Kind::Float, Value::Float32(x)) => Pv::F32(*x),
        (Kind::Double, Value::Float64(x)) => Pv::F64(*x),
        (Kind::Double, Value::Float32(x)) => Pv::F64(f64::from(*x)),
        (Kind::Bool, Value::Boolean(b)) => Pv::Bool(*b),
        (Kind::String, Value::String(s)) => Pv::String(s.clone()),
        (Kind::Bytes, Value::Bytes(b)) => Pv::Bytes(b.clone()),
        (Kind::Enum(e), Value::String(s)) => Pv::EnumNumber(
            e.get_value_by_name(s)
                .ok_or_else(|| format!("{s:?} is not a value of enum {}", e.full_name()))?
                .number(),
        ),
        (k, v) => {
            return Err(format!(
                "a {} value cannot be written as Protobuf {k:?}",
                v.type_name()
            ));
        }
    })
}

pub(super) fn map_key(kind: &Kind, v: &Value) -> Result<MapKey, String> {
    Ok(match to_pv(kind, &Schema::new(SchemaKind::String), v)? {
        Pv::String(s) => MapKey::String(s),
        Pv::I32(x) => MapKey::I32(x),
        Pv::I64(x) => MapKey::I64(x),
        Pv::U32(x) => MapKey::U32(x),
        Pv::U64(x) => MapKey::U64(x),
        Pv::Bool(b) => MapKey::Bool(b),
        _ => return Err("unsupported map key".into()),
    })
}

pub(super) fn to_message(
    m: &MessageDescriptor,
    schema: &Schema,
    values: &[Value],
) -> Result<DynamicMessage, String> {
    let mut msg = DynamicMessage::new(m.clone());
    for (cf, v) in schema.fields.iter().zip(values) {
        if matches!(v, Value::Null) {
            continue;
        }
        let f = m
            .get_field_by_name(&cf.name)
            .ok_or_else(|| format!("message {} has no field {}", m.full_name(), cf.name))?;
        let pv = if f.is_map() {
            let Kind::Message(entry) = f.kind() else {
                return Err("map without entry".into());
            };
            let (Some(kf), Some(vf)) = (entry.get_field(1), entry.get_field(2)) else {
                return Err("map entry without key/value".into());
            };
            let Value::Map(entries) = v else {
                return Err(format!("field {}: a {} for a map", cf.name, v.type_name()));
            };
            let vs = cf
                .schema
                .value_schema
                .as_deref()
                .cloned()
                .unwrap_or_else(|| Schema::new(SchemaKind::String));
            let mut out = HashMap::with_capacity(entries.len());
            for (k, val) in entries {
                out.insert(
                    map_key(&kf.kind(), k)?,
                    to_pv(&vf.kind(), &vs, val).map_err(|e| format!("field {}: {e}", cf.name))?,
                );
            }
            Pv::Map(out)
        } else if f.is_list() {
            let items: Vec<Value> = match v {
                Value::Array(items) => items.clone(),
                // A map written as repeated key/value entries.
                Value::Map(entries) => entries
                    .iter()
                    .map(|(k, v)| Value::Struct(vec![k.clone(), v.clone()]))
                    .collect(),
                other => {
                    return Err(format!(
                        "field {}: a {} for a repeated field",
                        cf.name,
                        other.type_name()
                    ));
                }
            };
            let item_schema = match v {
                Value::Map(_) => Schema::structure([
                    (
                        "key".to_string(),
                        cf.schema
                            .key_schema
                            .clone()
                            .unwrap_or_else(|| Arc::new(Schema::new(SchemaKind::String))),
                    ),
                    (
                        "value".to_string(),
                        cf.schema
                            .value_schema
                            .clone()
                            .unwrap_or_else(|| Arc::new(Schema::new(SchemaKind::String))),
                    ),
                ]),
                _ => cf
                    .schema
                    .value_schema
                    .as_deref()
                    .cloned()
                    .unwrap_or_else(|| Schema::new(SchemaKind::String)),
            };
            Pv::List(
                items
                    .iter()
                    .map(|i| to_pv(&f.kind(), &item_schema, i))
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("field {}: {e}", cf.name))?,
            )
        } else {
            to_pv(&f.kind(), &cf.schema, v).map_err(|e| format!("field {}: {e}", cf.name))?
        };
        msg.set_field(&f, pv);
    }
    Ok(msg)
}

pub(super) fn from_pv(schema: &Schema, kind: &Kind, v: &Pv) -> Result<Value, String> {
    Ok(match (v, kind) {
        (Pv::Message(msg), Kind::Message(m)) => {
            let get_i = |name: &str| match msg.get_field_by_name(name).as_deref() {
                Some(Pv::I32(x)) => i64::from(*x),
                Some(Pv::I64(x)) => *x,
                _ => 0,
            };
            match m.full_name() {
                "google.protobuf.Timestamp" => {
                    Value::Int64(get_i("seconds") * 1000 + get_i("nanos") / 1_000_000)
                }
                "google.type.Date" => {
                    let (y, mo, d) = (get_i("year"), get_i("month"), get_i("day"));
                    let days = civil_to_days(y, mo.clamp(1, 12) as u32, d.clamp(1, 31) as u32);
                    Value::Int32(i32::try_from(days).map_err(|_| "date out of range".to_string())?)
                }
                "google.type.TimeOfDay" => Value::Int32(
                    i32::try_from(
                        get_i("hours") * 3_600_000
                            + get_i("minutes") * 60_000
                            + get_i("seconds") * 1000
                            + get_i("nanos") / 1_000_000,
                    )
                    .map_err(|_| "time out of range".to_string())?,
                ),
                "confluent.type.Decimal" => match msg.get_field_by_name("value").as_deref() {
                    Some(Pv::Bytes(b)) => Value::Bytes(b.clone()),
                    _ => Value::Bytes(Bytes::new()),
                },
                name if WRAPPERS.iter().any(|(n, _)| *n == name) => {
                    let f = m.get_field(1).ok_or("wrapper without value")?;
                    from_pv(schema, &f.kind(), &msg.get_field(&f))?
                }
                _ => from_message(schema, msg)?,
            }
        }
        (Pv::Bool(b), _) => Value::Boolean(*b),
        (Pv::I32(x), _) => Value::Int32(*x),
        (Pv::I64(x), _) => Value::Int64(*x),
        (Pv::U32(x), _) => Value::Int64(i64::from(*x)),
        (Pv::U64(x), _) => Value::Int64(*x as i64),
        (Pv::F32(x), _) => Value::Float32(*x),
        (Pv::F64(x), _) => Value::Float64(*x),
        (Pv::String(s), _) => Value::String(s.clone()),
        (Pv::Bytes(b), _) => Value::Bytes(b.clone()),
        (Pv::EnumNumber(n), Kind::Enum(e)) => match e.get_value(*n) {
            Some(ev) => Value::String(ev.name().to_owned()),
            None => Value::String(n.to_string()),
        },
        (Pv::List(items), _) => {
            let is = schema
                .value_schema
                .as_deref()
                .ok_or("array schema without items")?;
            Value::Array(
                items
                    .iter()
                    .map(|i| from_pv(is, kind, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        (other, k) => return Err(format!("unexpected Protobuf value {other:?} for {k:?}")),
    })
}

pub(super) fn from_message(schema: &Schema, msg: &DynamicMessage) -> Result<Value, String> {
    let desc = msg.descriptor();
    let mut values = Vec::with_capacity(schema.fields.len());
    for cf in &schema.fields {
        let Some(f) = desc.get_field_by_name(&cf.name) else {
            values.push(Value::Null);
            continue;
        };
        if f.supports_presence() && !msg.has_field(&f) {
            values.push(Value::Null);
            continue;
        }
        let v = msg.get_field(&f);
        let value = if f.is_map() {
            let Kind::Message(entry) = f.kind() else {
                return Err("map without entry".into());
            };
            let (Some(kf), Some(vf)) = (entry.get_field(1), entry.get_field(2)) else {
                return Err("map entry without key/value".into());
            };
            let (Some(ks), Some(vs)) = (cf.schema.key_schema.as_deref(), cf.schema.value_schema.as_deref())
            else {
                return Err("map schema without key/value".into());
            };
            let Pv::Map(entries) = v.as_ref() else {
                return Err("map field without a map".into());
            };
            // Sorted by key: protobuf maps have no order, and a stable one makes output reproducible.
            let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
            for (k, val) in entries {
                let kv = match k {
                    MapKey::Bool(b) => Pv::Bool(*b),
                    MapKey::I32(x) => Pv::I32(*x),
                    MapKey::I64(x) => Pv::I64(*x),
                    MapKey::U32(x) => Pv::U32(*x),
                    MapKey::U64(x) => Pv::U64(*x),
                    MapKey::String(s) => Pv::String(s.clone()),
                };
                out.push((from_pv(ks, &kf.kind(), &kv)?, from_pv(vs, &vf.kind(), val)?));
            }
            out.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
            Value::Map(out)
        } else {
            from_pv(&cf.schema, &f.kind(), &v).map_err(|e| format!("field {}: {e}", cf.name))?
        };
        values.push(value);
    }
    Ok(Value::Struct(values))
}
