//! The one reading of a JSON request body into its type: an object, and only an object, at
//! every place a struct is expected.
//!
//! serde builds a struct from a JSON array of its fields in order as readily as from an
//! object, so `["<token>",2]` would record a vote and `["Unit",null]` create a unit: a second,
//! undocumented and positional API that no schema describes. The body is parsed once into a
//! `serde_json::Value` (refusing a key given twice, as a direct parse into a struct would) and
//! then read into its type through `Strict`, a deserializer that gives a struct only an object.

use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::fmt;

/// Why a body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON at all (a syntax error or a truncated body): 400.
    Malformed(String),
    /// JSON, but its top level is not an object: 422.
    NotAnObject,
    /// An object of the wrong shape (a field missing, unknown, repeated, of the wrong type, or
    /// a nested struct given as an array): 422.
    Shape(String),
}

/// Reads `text` into `T`, which must be a struct (or map) read from a JSON object.
pub fn from_object<T: DeserializeOwned>(text: &str) -> Result<T, BodyError> {
    use serde_json::error::Category;
    let Unique(value) = serde_json::from_str::<Unique>(text).map_err(|e| match e.classify() {
        Category::Data => BodyError::Shape(e.to_string()),
        Category::Syntax | Category::Eof | Category::Io => BodyError::Malformed(e.to_string()),
    })?;
    if !value.is_object() {
        return Err(BodyError::NotAnObject);
    }
    T::deserialize(Strict(value)).map_err(|e| BodyError::Shape(e.0))
}

/// A JSON value in which no object repeats a key.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            let Unique(v) = map.next_value()?;
            object.insert(key, v);
        }
        Ok(Value::Object(object))
    }
}

/// Why a value did not fit its type.
#[derive(Debug)]
struct ShapeError(String);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

impl de::Error for ShapeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ShapeError(msg.to_string())
    }
}

/// Floats below this (2^53) are exact, so a whole one is read as the integer it names.
const INTEGRAL: f64 = 9_007_199_254_740_992.0;

/// A parsed value read into a type the way `serde_json::Value` would be, except that a struct
/// is only ever read from an object.
struct Strict(Value);

impl<'de> IntoDeserializer<'de, ShapeError> for Strict {
    type Deserializer = Strict;

    fn into_deserializer(self) -> Strict {
        self
    }
}

fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict {
    type Error = ShapeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                // JSON has one kind of number: `2.0` is the integer 2 (as JSON Schema says),
                // so an integer field takes it; `2.5` stays a float and is refused there.
                (None, None, Some(f)) if f.fract() == 0.0 && f.abs() < INTEGRAL => {
                    visitor.visit_i64(f as i64)
                }
                (None, None, f) => visitor.visit_f64(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Strict));
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(object) => {
                let mut map = MapDeserializer::new(object.into_iter().map(|(k, v)| (k, Strict(v))));
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ShapeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ShapeError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Object(object) if object.len() == 1 => {
                let map = MapDeserializer::new(object.into_iter().map(|(k, v)| (k, Strict(v))));
                visitor.visit_enum(MapAccessDeserializer::new(map))
            }
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a string or an object of one key",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        id: i64,
        name: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "snake_case")]
    enum Kind {
        Plain,
        Special,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: String,
        #[serde(default)]
        parent: Option<i64>,
        #[serde(default)]
        small: Option<u8>,
        #[serde(default)]
        inner: Vec<Inner>,
        #[serde(default)]
        kind: Option<Kind>,
        #[serde(default)]
        criteria: std::collections::BTreeMap<String, i64>,
        #[serde(default)]
        ratio: Option<f64>,
    }

    #[test]
    fn an_object_reads_as_serde_json_would_read_it() {
        let text = r#"{"name":"Unit","parent":-3,"small":200,"inner":[{"id":1,"name":"a"}],
            "kind":"special","criteria":{"waiting":2},"ratio":1}"#;
        let ours: Outer = from_object(text).unwrap();
        let theirs: Outer = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.ratio, Some(1.0));
    }

    #[test]
    fn an_array_in_field_order_is_refused_at_the_top_and_inside() {
        // serde_json alone would take these.
        assert!(serde_json::from_str::<Outer>(r#"["Unit",null]"#).is_ok());
        assert_eq!(
            from_object::<Outer>(r#"["Unit",null]"#),
            Err(BodyError::NotAnObject)
        );
        let nested = r#"{"name":"Unit","inner":[[1,"a"]]}"#;
        assert!(serde_json::from_str::<Outer>(nested).is_ok());
        match from_object::<Outer>(nested) {
            Err(BodyError::Shape(m)) => assert!(m.contains("a JSON object"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scalars_and_null_are_not_objects_and_bad_json_is_malformed() {
        for text in ["null", "3", "\"x\"", "true", "[]"] {
            assert_eq!(
                from_object::<Outer>(text),
                Err(BodyError::NotAnObject),
                "{text}"
            );
        }
        for text in ["", "{", "{\"name\":", "{name:1}", "{\"name\":\"a\"} x"] {
            assert!(
                matches!(from_object::<Outer>(text), Err(BodyError::Malformed(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn a_whole_number_written_with_a_point_is_an_integer_and_a_fraction_is_not() {
        let whole: Outer = from_object(r#"{"name":"a","parent":1988.0,"small":3.0}"#).unwrap();
        assert_eq!((whole.parent, whole.small), (Some(1988), Some(3)));
        for text in [
            r#"{"name":"a","parent":2.5}"#,
            r#"{"name":"a","parent":3768227133447612137472}"#,
            r#"{"name":"a","small":256.0}"#,
        ] {
            assert!(
                matches!(from_object::<Outer>(text), Err(BodyError::Shape(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn unknown_repeated_and_mistyped_fields_are_refused() {
        for (text, words) in [
            (r#"{"name":"a","nope":1}"#, "unknown field `nope`"),
            (r#"{"name":"a","name":"b"}"#, "duplicate field `name`"),
            (
                r#"{"name":"a","inner":[{"id":1,"name":"x","id":2}]}"#,
                "duplicate field `id`",
            ),
            (r#"{"name":1}"#, "invalid type"),
            (r#"{"name":"a","small":300}"#, "invalid value"),
            (r#"{"name":"a","kind":"odd"}"#, "unknown variant"),
            (r#"{}"#, "missing field `name`"),
        ] {
            match from_object::<Outer>(text) {
                Err(BodyError::Shape(m)) => assert!(m.contains(words), "{text}: {m}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
