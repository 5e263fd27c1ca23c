//! Group commit: facts that arrive together are written in one transaction by one task.
//!
//! [`Writer::record`] queues a batch (a bounded queue: a full one makes the caller wait) and
//! answers once the transaction holding it has committed, so an answer is never given for a
//! write that could still be lost. The task ([`Writer::run`]) takes the first batch queued,
//! gathers what else arrives within [`GATHER`] (at most [`GROUP`] batches), and writes them in
//! one transaction, each in turn, so the same id twice is an update and a delivery written
//! before writes nothing ([`Store::write_batches`]: the group's deliveries are claimed in one
//! statement and the rollouts and changes its batches move are derived once, after the last).
//! When that transaction fails, each batch is written again on its own and gets its own answer:
//! one bad batch never fails its neighbours.
//! Then the pipeline is told the quarters the group moved. Before the task runs, or once it has
//! stopped, a batch is written at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::Pipeline;
use crate::store::{FactBatch, Result, Store, StoreError};

/// Batches waiting at most (a fuller queue makes callers wait).
const QUEUE: usize = 4096;
/// Batches written in one transaction at most.
pub const GROUP: usize = 256;
/// How long the task waits for more batches after the first of a group.
pub const GATHER: Duration = Duration::from_millis(2);

/// A batch and who waits for its answer.
struct Job {
    batch: FactBatch,
    answer: oneshot::Sender<Result<u64>>,
}

/// The queue to the one writing task.
pub struct Writer {
    queue: mpsc::Sender<Job>,
    inbox: Mutex<Option<mpsc::Receiver<Job>>>,
    running: AtomicBool,
}

impl Default for Writer {
    fn default() -> Self {
        let (queue, inbox) = mpsc::channel(QUEUE);
        Writer {
            queue,
            inbox: Mutex::new(Some(inbox)),
            running: AtomicBool::new(false),
        }
    }
}

impl Writer {
    /// Writes `batch` into `store` (with others that arrive together, once [`Writer::run`]
    /// runs) and tells `pipeline` what it changed. Answers once it has committed: the rows it
    /// inserted or changed.
    pub async fn record(
        &self,
        store: &Store,
        pipeline: &Pipeline,
        batch: FactBatch,
    ) -> Result<u64> {
        if !self.running.load(Ordering::Acquire) {
            return write_alone(store, pipeline, &batch).await;
        }
        let (answer, answered) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.queue.send(Job { batch, answer }).await {
            return write_alone(store, pipeline, &job.batch).await;
        }
        answered
            .await
            .unwrap_or_else(|_| Err(StoreError::Task("the fact writer stopped".into())))
    }

    /// Writes what is queued, group by group, until `shutdown`; then writes what is left and
    /// lets later batches be written at once. Runs once: a second call returns at once.
    pub async fn run(&self, store: &Store, pipeline: &Pipeline, shutdown: CancellationToken) {
        let taken = self.inbox.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(mut inbox) = taken else {
            return;
        };
        self.running.store(true, Ordering::Release);
        let mut group = Vec::with_capacity(GROUP);
        loop {
            let first = tokio::select! {
                () = shutdown.cancelled() => break,
                job = inbox.recv() => job,
            };
            let Some(first) = first else { break };
            group.push(first);
            gather(&mut inbox, &mut group).await;
            write_group(store, pipeline, &mut group).await;
        }
        self.running.store(false, Ordering::Release);
        inbox.close();
        while let Some(job) = inbox.recv().await {
            group.push(job);
            if group.len() == GROUP {
                write_group(store, pipeline, &mut group).await;
            }
        }
        write_group(store, pipeline, &mut group).await;
    }
}

/// Adds to `group` what arrives within [`GATHER`], up to [`GROUP`] batches.
async fn gather(inbox: &mut mpsc::Receiver<Job>, group: &mut Vec<Job>) {
    let deadline = tokio::time::Instant::now() + GATHER;
    while group.len() < GROUP {
        match tokio::time::timeout_at(deadline, inbox.recv()).await {
            Ok(Some(job)) => group.push(job),
            Ok(None) | Err(_) => return,
        }
    }
}

/// Writes `group` (emptied) in one transaction, else each batch on its own, answers each
/// caller and tells the pipeline.
async fn write_group(store: &Store, pipeline: &Pipeline, group: &mut Vec<Job>) {
    if group.is_empty() {
        return;
    }
    let batches: Vec<&FactBatch> = group.iter().map(|j| &j.batch).collect();
    let answers: Vec<Result<u64>> = match store.write_batches(&batches).await {
        Ok(rows) => rows.into_iter().map(Ok).collect(),
        Err(e) => {
            tracing::warn!(error = %e, batches = group.len(), "group write failed; writing each batch on its own");
            let mut answers = Vec::with_capacity(group.len());
            for batch in &batches {
                answers.push(store.write_batch(batch).await);
            }
            answers
        }
    };
    for (job, answer) in group.drain(..).zip(answers) {
        if let Ok(rows) = answer {
            tell(pipeline, &job.batch, rows);
        }
        // A caller that has gone (its connection closed) needs no answer: the write stands.
        let _ = job.answer.send(answer);
    }
}

/// Writes `batch` in a transaction of its own and tells the pipeline.
async fn write_alone(store: &Store, pipeline: &Pipeline, batch: &FactBatch) -> Result<u64> {
    let rows = store.write_batch(batch).await?;
    tell(pipeline, batch, rows);
    Ok(rows)
}

/// Tells `pipeline` the quarters `batch` moved, when it changed `rows` rows.
fn tell(pipeline: &Pipeline, batch: &FactBatch, rows: u64) {
    if rows > 0 {
        if let Some(earliest) = batch.earliest() {
            pipeline.facts_changed(earliest);
        }
    }
}
