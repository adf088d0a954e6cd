//! The hourly run's usual write: the records of unchanged companies, several per transaction.

use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use kintai_core::DbError;

use crate::model::CompanyRecord;
use crate::store::LinkStore;

/// What a run over every company knows about a company before its run: its record, read
/// under the lease in one statement for the batch, and the writer that stores the record of
/// an unchanged company together with other companies' (see [`UnchangedWriter`]).
pub(crate) struct Known {
    pub record: Option<Option<CompanyRecord>>,
    pub writer: UnchangedWriter,
    /// Fired (or dropped) when the run has nothing left to do but wait for its shared write:
    /// its place among the `concurrency` companies goes to the next company then.
    pub slot: oneshot::Sender<()>,
}

/// A store request of one unchanged company: its new record, and where the answer goes
/// (`Ok(true)`: stored and lease given back; `Ok(false)`: the lease was lost, nothing stored).
type UnchangedRequest = (CompanyRecord, oneshot::Sender<Result<bool, String>>);

/// Stores the records of unchanged companies (the hourly run's usual case, whose only write is
/// the record) in shared transactions: while one transaction is being written, the companies
/// that finish meanwhile queue and go together in the next one ([`LinkStore::finish_unchanged`],
/// fenced by each company's lease as a company's own transaction is). For the leases of one
/// holder only: a run over every company makes one.
#[derive(Clone)]
pub(crate) struct UnchangedWriter {
    requests: mpsc::UnboundedSender<UnchangedRequest>,
}

/// Companies per shared transaction at most.
const UNCHANGED_PER_TRANSACTION: usize = 256;

impl UnchangedWriter {
    /// The writer, and the loop that writes for it until every clone of the writer is gone.
    pub(crate) fn new(
        store: LinkStore,
        holder: String,
    ) -> (Self, impl std::future::Future<Output = ()> + Send) {
        let (sender, mut requests) = mpsc::unbounded::<UnchangedRequest>();
        let write = async move {
            while let Some(first) = requests.next().await {
                let mut batch = vec![first];
                while batch.len() < UNCHANGED_PER_TRANSACTION {
                    match requests.try_recv() {
                        Ok(request) => batch.push(request),
                        Err(_) => break,
                    }
                }
                let (records, replies): (Vec<CompanyRecord>, Vec<_>) = batch.into_iter().unzip();
                let stored = store.finish_unchanged(&holder, &records).await;
                if let Err(error) = &stored {
                    tracing::error!(companies = records.len(), %error, "cannot store the records of unchanged companies");
                }
                for (record, reply) in records.iter().zip(replies) {
                    let answer = match &stored {
                        Ok(held) => Ok(held.contains(&record.company_id)),
                        Err(error) => Err(error.to_string()),
                    };
                    // A run that went away needs no answer.
                    let _ = reply.send(answer);
                }
            }
        };
        (Self { requests: sender }, write)
    }

    /// Stores an unchanged company's record and gives its lease back: `Some(())`, or `None`
    /// when the lease was lost (nothing stored), as [`LinkStore::begin_finish`] would.
    pub(crate) async fn finish(&self, record: CompanyRecord) -> Result<Option<()>, DbError> {
        let (reply, answer) = oneshot::channel();
        let failed = |reason: String| DbError::Other(sqlx::Error::Protocol(reason));
        self.requests
            .unbounded_send((record, reply))
            .map_err(|_| failed("the writer of unchanged companies stopped".into()))?;
        match answer.await {
            Ok(Ok(true)) => Ok(Some(())),
            Ok(Ok(false)) => Ok(None),
            Ok(Err(reason)) => Err(failed(reason)),
            Err(_) => Err(failed("the writer of unchanged companies stopped".into())),
        }
    }
}
