//! How an upload tells this instance's import runner that there is work.

use tokio::sync::Notify;

/// The import runner's doorbell.
#[derive(Debug, Default)]
pub struct Imports {
    queued: Notify,
}

impl Imports {
    /// Wakes the runner: an import was queued.
    pub fn wake(&self) {
        self.queued.notify_one();
    }

    /// Until [`Imports::wake`] is called (at once if it was since the last
    /// wait).
    pub async fn queued(&self) {
        self.queued.notified().await;
    }
}
