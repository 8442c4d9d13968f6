//! Returns (RMAs): the states a return moves through, and how many units of
//! a delivered line can still be sent back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where a return is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ReturnStatus {
    /// Asked for by the customer; the shop has not answered.
    Requested,
    /// The shop will take the units back.
    Approved,
    /// The shop will not (with a note why); the units are returnable again.
    Rejected,
    /// The units arrived back at the shop.
    Received,
    /// The units' money was given back.
    Refunded,
}

impl ReturnStatus {
    /// Every status, in the order a return moves through them.
    pub const ALL: [ReturnStatus; 5] = [
        ReturnStatus::Requested,
        ReturnStatus::Approved,
        ReturnStatus::Rejected,
        ReturnStatus::Received,
        ReturnStatus::Refunded,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "requested",
            ReturnStatus::Approved => "approved",
            ReturnStatus::Rejected => "rejected",
            ReturnStatus::Received => "received",
            ReturnStatus::Refunded => "refunded",
        }
    }

    /// Whether a return in this status may move to `next`: answered once
    /// (approved or rejected), then received, then refunded.
    pub fn can_transition_to(self, next: ReturnStatus) -> bool {
        use ReturnStatus::*;
        matches!(
            (self, next),
            (Requested, Approved | Rejected) | (Approved, Received) | (Received, Refunded)
        )
    }

    /// Whether the return's units count as on their way back (a rejected
    /// return gives them back to the customer to return again).
    pub fn holds_units(self) -> bool {
        self != ReturnStatus::Rejected
    }
}

impl fmt::Display for ReturnStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReturnStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        ReturnStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| format!("unknown return status {raw:?}"))
    }
}

/// Units of a line of `quantity` that can still be returned, when
/// `in_returns` are in returns that hold units already.
pub fn returnable(quantity: i64, in_returns: i64) -> i64 {
    (quantity - in_returns).max(0)
}

/// Whether a return asked for at `now` is within `window` of the delivery
/// at `delivered_at`.
pub fn within_window(delivered_at: DateTime<Utc>, now: DateTime<Utc>, window: Duration) -> bool {
    now <= delivered_at + window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_is_answered_once_then_received_then_refunded() {
        use ReturnStatus::*;
        let path = [Requested, Approved, Received, Refunded];
        for pair in path.windows(2) {
            assert!(pair[0].can_transition_to(pair[1]), "{} -> {}", pair[0], pair[1]);
            assert!(!pair[1].can_transition_to(pair[0]), "never backwards");
        }
        assert!(Requested.can_transition_to(Rejected));
        assert!(!Rejected.can_transition_to(Approved), "a rejection is final");
        assert!(!Requested.can_transition_to(Received), "approved first");
        assert!(!Approved.can_transition_to(Rejected));
        assert!(!Approved.can_transition_to(Refunded), "received first");
    }

    #[test]
    fn only_a_rejected_return_frees_its_units() {
        let holding: Vec<_> = ReturnStatus::ALL.into_iter().filter(|s| s.holds_units()).collect();
        assert!(!holding.contains(&ReturnStatus::Rejected));
        assert_eq!(holding.len(), 4);
        assert_eq!(returnable(3, 1), 2);
        assert_eq!(returnable(3, 5), 0);
    }

    #[test]
    fn the_window_runs_from_delivery() {
        let delivered = DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z").unwrap().to_utc();
        let window = Duration::days(30);
        assert!(within_window(delivered, delivered + Duration::days(30), window));
        assert!(!within_window(
            delivered,
            delivered + Duration::days(30) + Duration::seconds(1),
            window
        ));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in ReturnStatus::ALL {
            assert_eq!(status.as_str().parse::<ReturnStatus>().unwrap(), status);
        }
        assert!("lost".parse::<ReturnStatus>().is_err());
    }
}
