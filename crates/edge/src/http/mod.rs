//! HTTP plumbing both services share: the JSON error shape, a JSON extractor
//! whose rejections use it, request ids and request spans, limits, and a
//! server with graceful shutdown.

mod context;
pub(crate) mod error;
mod json;
mod layers;
mod observe;
mod probe;
mod protect;
mod serve;

pub use context::{
    REQUEST_ID_HEADER, RequestId, TRACEPARENT_HEADER, TraceId, current_request_id,
    current_trace_id, spawn_with_request_context,
};
pub use error::{ErrorDetail, ErrorEnvelope, ErrorResponse, method_not_allowed, route_not_found};
pub use json::Json;
pub use layers::{BoxedResponse, take_ready};
pub use probe::probe;
pub use protect::{InFlightLimit, STRICT_CONTENT_SECURITY_POLICY};
pub use serve::{Server, shutdown_signal};
