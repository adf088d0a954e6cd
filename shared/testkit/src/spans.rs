//! A tracing layer that keeps every span and event, for tests of what a service records (span
//! names, parents, fields) and of what it must never record (tokens, names).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// One span as it was opened and recorded into.
#[derive(Debug, Clone)]
pub struct CapturedSpan {
    pub name: &'static str,
    /// The parent's place in [`Capture::spans`].
    pub parent: Option<usize>,
    /// Every value recorded, in order; a field recorded twice appears twice.
    pub fields: Vec<(String, String)>,
}

impl CapturedSpan {
    /// The last value recorded for `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Install with `tracing_subscriber::registry().with(capture.clone())`. Spans are kept in the
/// order they were opened; `live` maps an open span's id to its place, because the registry
/// reuses the id of a closed span (a later span would otherwise overwrite an earlier one).
#[derive(Clone, Default)]
pub struct Capture {
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
    live: Arc<Mutex<HashMap<u64, usize>>>,
    events: Arc<Mutex<Vec<(String, String)>>>,
}

impl Capture {
    /// Every span so far, in opening order.
    pub fn spans(&self) -> Vec<CapturedSpan> {
        lock(&self.spans).clone()
    }

    /// The spans of one name with their places (for [`CapturedSpan::parent`]).
    pub fn named(&self, name: &str) -> Vec<(usize, CapturedSpan)> {
        lock(&self.spans)
            .iter()
            .enumerate()
            .filter(|(_, span)| span.name == name)
            .map(|(index, span)| (index, span.clone()))
            .collect()
    }

    /// Every value recorded anywhere: span fields and event fields.
    pub fn all_values(&self) -> Vec<String> {
        let spans = lock(&self.spans);
        let events = lock(&self.events);
        spans
            .iter()
            .flat_map(|span| span.fields.iter())
            .chain(events.iter())
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// A poisoned lock means a test already panicked; its data is still what was captured.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .and_then(|parent| lock(&self.live).get(&parent.id().into_u64()).copied());
        let mut span = CapturedSpan {
            name: attrs.metadata().name(),
            parent,
            fields: Vec::new(),
        };
        attrs.record(&mut Fields(&mut span.fields));
        let mut spans = lock(&self.spans);
        lock(&self.live).insert(id.into_u64(), spans.len());
        spans.push(span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let Some(index) = lock(&self.live).get(&id.into_u64()).copied() else {
            return;
        };
        if let Some(span) = lock(&self.spans).get_mut(index) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        event.record(&mut Fields(&mut lock(&self.events)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn keeps_spans_in_order_with_parents_and_late_fields() {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        tracing::subscriber::with_default(subscriber, || {
            let outer =
                tracing::info_span!("outer", company_id = "c1", outcome = tracing::field::Empty);
            let _in_outer = outer.enter();
            for n in 0..2 {
                // Each inner span closes before the next opens: the registry reuses its id.
                let inner = tracing::info_span!("inner", n);
                let _in_inner = inner.enter();
                tracing::info!(secret = "never-here", "an event");
            }
            outer.record("outcome", "matched");
        });
        let spans = capture.spans();
        assert_eq!(spans.len(), 3, "{spans:#?}");
        assert_eq!(spans[0].field("outcome"), Some("matched"));
        let inner = capture.named("inner");
        assert_eq!(inner.len(), 2);
        assert_eq!(inner[0].1.field("n"), Some("0"));
        assert_eq!(inner[1].1.field("n"), Some("1"));
        assert!(inner.iter().all(|(_, span)| span.parent == Some(0)));
        assert!(capture.all_values().contains(&"never-here".to_owned()));
    }
}
