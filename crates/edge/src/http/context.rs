//! The request context a task carries: the request id and the W3C trace
//! id of the request it serves, the headers they travel in, and a way to
//! spawn work that keeps them. The `observe` layer sets them for each
//! request; error bodies and outgoing calls read them.

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderName;
use tracing::Instrument;

/// The header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, also stored in request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub Arc<str>);

/// The W3C trace context header.
pub const TRACEPARENT_HEADER: HeaderName = HeaderName::from_static("traceparent");

/// What a task serving a request knows of it.
#[derive(Debug, Clone)]
pub(super) struct RequestContext {
    pub(super) request_id: Option<RequestId>,
    pub(super) trace_id: Option<TraceId>,
}

tokio::task_local! {
    pub(super) static CURRENT: RequestContext;
}

/// A W3C trace id: 32 lowercase hex digits, not all zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceId(Arc<str>);

impl TraceId {
    /// A new random trace id.
    pub fn random() -> TraceId {
        let mut text = uuid::Uuid::encode_buffer();
        TraceId(Arc::from(&*uuid::Uuid::new_v4().simple().encode_lower(&mut text)))
    }

    /// `text` if it is a valid trace id.
    pub fn parse(text: &str) -> Option<TraceId> {
        let valid = text.len() == 32
            && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && text.bytes().any(|b| b != b'0');
        valid.then(|| TraceId(Arc::from(text)))
    }

    /// The trace id of a `traceparent` header value (version `00`, or a
    /// later version read as `00` requires), if it is well formed.
    pub fn from_traceparent(value: &str) -> Option<TraceId> {
        let mut parts = value.split('-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |part: &str, len: usize| {
            part.len() == len
                && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let rest_allowed = version != "00" || parts.next().is_none();
        let valid = hex(version, 2)
            && version != "ff"
            && hex(parent, 16)
            && parent.bytes().any(|b| b != b'0')
            && hex(flags, 2)
            && rest_allowed;
        valid.then(|| TraceId::parse(trace)).flatten()
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `traceparent` for a call made within this trace: this trace id and
    /// a new span id, sampled.
    pub fn traceparent(&self) -> String {
        let span = (uuid::Uuid::new_v4().as_u128() as u64).max(1);
        format!("00-{}-{span:016x}-01", self.0)
    }
}

/// The trace of the request this task is serving, if any.
pub fn current_trace_id() -> Option<TraceId> {
    CURRENT.try_with(|current| current.trace_id.clone()).ok().flatten()
}

/// Spawns `work` as a task of its own that keeps this request's id, trace
/// and span: it runs to its end even if the client stops waiting and the
/// request is dropped.
pub fn spawn_with_request_context<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let span = tracing::Span::current();
    let current = CURRENT.try_with(Clone::clone).ok();
    tokio::spawn(async move {
        let work = work.instrument(span);
        match current {
            Some(current) => CURRENT.scope(current, work).await,
            None => work.await,
        }
    })
}

/// The id of the request this task is serving, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(|current| Some(current.request_id.as_ref()?.0.to_string())).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_joined_and_a_broken_one_is_not() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let joined = TraceId::from_traceparent(&format!("00-{trace}-00f067aa0ba902b7-01"));
        assert_eq!(joined.as_ref().map(TraceId::as_str), Some(trace));
        let future = TraceId::from_traceparent(&format!("01-{trace}-00f067aa0ba902b7-01-extra"));
        assert_eq!(
            future.as_ref().map(TraceId::as_str),
            Some(trace),
            "later versions may add fields"
        );
        for broken in [
            format!("00-{trace}-00f067aa0ba902b7-01-extra"),
            format!("ff-{trace}-00f067aa0ba902b7-01"),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_owned(),
            format!("00-{trace}-0000000000000000-01"),
            format!("00-{}-00f067aa0ba902b7-01", trace.to_uppercase()),
            format!("00-{trace}-00f067aa0ba902b7"),
            String::new(),
        ] {
            assert_eq!(TraceId::from_traceparent(&broken), None, "{broken}");
        }
    }

    #[test]
    fn outgoing_traceparents_keep_the_trace_and_are_themselves_valid() {
        let trace = TraceId::random();
        let outgoing = trace.traceparent();
        assert_eq!(TraceId::from_traceparent(&outgoing), Some(trace.clone()));
        assert_ne!(outgoing, trace.traceparent(), "each call gets its own span id");
    }
}
