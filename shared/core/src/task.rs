//! A spawned task tied to its owner's lifetime.

/// Aborts the task when dropped: a helper task (a lease renewal, a claim keeper, a company run
/// of a cancelled caller) never outlives what it works for, also when that panics or is dropped.
#[derive(Debug)]
pub struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
