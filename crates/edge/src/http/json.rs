//! A JSON body extractor whose every rejection is our error shape: wrong
//! content type and malformed JSON are 400, a body over the limit is 413, and
//! a well-formed body with wrong or missing fields is 422 naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::error::ErrorResponse;

/// JSON request body or response, like `axum::Json`, with our rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ErrorResponse;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ErrorResponse::new(
                StatusCode::BAD_REQUEST,
                "invalid_content_type",
                "expected a JSON body with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ErrorResponse::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than this server accepts",
                )
            } else {
                ErrorResponse::new(StatusCode::BAD_REQUEST, "invalid_body", rejection.body_text())
            }
        })?;
        parse(&bytes).map(Json)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialises `bytes`, telling syntax errors (400) from data errors (422).
/// Every body this API takes is a JSON object: an array is refused even
/// where the fields could be read from it by position.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ErrorResponse> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|err| malformed(&err))?;
        return Err(ErrorResponse::validation(
            [("body".to_owned(), "must be a JSON object".to_owned())].into_iter().collect(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let data_error = |err: serde_path_to_error::Error<serde_json::Error>| {
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            return malformed(inner);
        }
        let (field, message) = field_and_message(&err.path().to_string(), &inner.to_string());
        ErrorResponse::validation([(field, message)].into_iter().collect())
    };
    let Whole(value) = serde_path_to_error::deserialize(&mut deserializer).map_err(data_error)?;
    deserializer.end().map_err(|err| malformed(&err))?;
    serde_path_to_error::deserialize(value).map_err(data_error)
}

/// A JSON value read strictly (a key given twice is an error) with every
/// number that has a zero fraction (`20.0`) turned into that integer, as
/// JSON Schema counts it: a client writing `"quantity": 20.0` means 20.
/// Other fractions stay, and a field that takes an integer refuses them.
struct Whole(serde_json::Value);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WholeVisitor).map(Whole)
    }
}

struct WholeVisitor;

impl<'de> Visitor<'de> for WholeVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        // Past 2^53 a float no longer stands for one whole number.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if value.fract() == 0.0 && value.abs() <= EXACT {
            #[allow(clippy::cast_possible_truncation, reason = "whole and within 2^53: exact")]
            return Ok((value as i64).into());
        }
        Ok(serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(value.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(Whole(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(items.into())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            let Whole(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(object.into())
    }
}

fn malformed(err: &serde_json::Error) -> ErrorResponse {
    ErrorResponse::new(
        StatusCode::BAD_REQUEST,
        "malformed_json",
        format!("the body is not valid JSON: {err}"),
    )
}

/// serde reports a missing field at its parent's path; name the field itself.
fn field_and_message(path: &str, message: &str) -> (String, String) {
    let parent = if path == "." { "" } else { path };
    if let Some(name) =
        message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next())
    {
        let field = if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") };
        return (field, "is required".to_owned());
    }
    let field = if parent.is_empty() { "body".to_owned() } else { parent.to_owned() };
    if message.starts_with("invalid type: floating point") {
        return (field, "must be a whole number".to_owned());
    }
    // Drop serde's " at line 1 column 17" suffix: the field name says where.
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    (field, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Line {
        product_id: u64,
        quantity: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        lines: Vec<Line>,
    }

    fn fields(err: &ErrorResponse) -> (StatusCode, &str) {
        (err.status(), err.code())
    }

    #[test]
    fn syntax_errors_are_400() {
        let err = parse::<Body>(b"{\"name\": ").unwrap_err();
        assert_eq!(fields(&err), (StatusCode::BAD_REQUEST, "malformed_json"));
        let err = parse::<Body>(b"{\"name\":\"a\",\"lines\":[]} trailing").unwrap_err();
        assert_eq!(fields(&err), (StatusCode::BAD_REQUEST, "malformed_json"));
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(field_and_message(".", "missing field `name` at line 1 column 2").0, "name");
        assert_eq!(
            field_and_message("lines[0]", "missing field `quantity`").0,
            "lines[0].quantity"
        );
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        let err =
            parse::<Body>(br#"{"name":"a","lines":[{"product_id":1,"quantity":-3}]}"#).unwrap_err();
        assert_eq!(fields(&err), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
        assert_eq!(
            field_and_message("lines[0].quantity", "invalid value: integer `-3` at line 1"),
            ("lines[0].quantity".to_owned(), "invalid value: integer `-3`".to_owned())
        );
    }

    #[test]
    fn whole_numbers_written_with_a_zero_fraction_are_integers() {
        let line = parse::<Line>(br#"{"product_id": 7.0, "quantity": 20.0}"#).unwrap();
        assert_eq!((line.product_id, line.quantity), (7, 20));
        let err = parse::<Line>(br#"{"product_id": 7, "quantity": 2.5}"#).unwrap_err();
        assert_eq!(fields(&err), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
        let huge = parse::<Line>(br#"{"product_id": 1e300, "quantity": 1}"#).unwrap_err();
        assert_eq!(fields(&huge), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
        assert_eq!(
            field_and_message("quantity", "invalid type: floating point `2.5`, expected u32"),
            ("quantity".to_owned(), "must be a whole number".to_owned())
        );
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let err =
            parse::<Line>(br#"{"product_id": 1, "quantity": 1, "quantity": 99}"#).unwrap_err();
        assert_eq!(fields(&err), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    }

    #[test]
    fn json_content_types_are_recognised() {
        let ok = |v: &'static str| is_json(Some(&header::HeaderValue::from_static(v)));
        assert!(ok("application/json"));
        assert!(ok("application/json; charset=utf-8"));
        assert!(ok("application/merge-patch+json"));
        assert!(!ok("text/plain"));
        assert!(!ok("application/x-www-form-urlencoded"));
        assert!(!is_json(None));
    }
}
