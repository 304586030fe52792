//! One client process as the history sees it, and the one place where an
//! operation's outcome is interpreted, for the workers and the final reads
//! alike: the invocation and the completion are recorded; an `info` retires
//! the process (its operation may still take effect at any later time, so
//! it stays concurrent with everything after it, and a process performs one
//! operation at a time: a fresh id takes its place, as in Jepsen's
//! `jepsen.generator` worker loop); and the back-off decides whether the
//! process waits before its next operation.

use super::backoff::Backoff;
use faultline_core::{DynClient, Op, OpType, Process, Recorder};
use faultline_workloads::Planned;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client process: its current id, its node, its client.
pub struct ClientProcess {
    id: u64,
    /// What a retired id's successor adds: the number of processes that
    /// share the id space, so that no two ever meet.
    stride: u64,
    node: Option<String>,
    client: Box<dyn DynClient>,
    recorder: Arc<Recorder>,
    backoff: Option<Backoff>,
}

/// How one operation ended, as the process's caller needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Performed {
    /// ok, fail or info.
    pub kind: OpType,
    /// How long to wait before the next operation (back-off).
    pub wait: Option<Duration>,
}

impl ClientProcess {
    /// Process `id` on `node` (none for an in-process client); after an
    /// `info` it becomes `id + stride`.
    pub fn new(
        id: u64,
        stride: u64,
        node: Option<String>,
        client: Box<dyn DynClient>,
        recorder: Arc<Recorder>,
    ) -> ClientProcess {
        ClientProcess {
            id,
            stride: stride.max(1),
            node,
            client,
            recorder,
            backoff: None,
        }
    }

    /// Backs off after fast failures (see [`Backoff`]); without it the
    /// process never waits.
    pub fn with_backoff(mut self, backoff: Backoff) -> ClientProcess {
        self.backoff = Some(backoff);
        self
    }

    /// The id its next operation will carry.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Ends the process, giving back its client (see [`super::workers::WorkerEnd`]).
    pub fn into_client(self) -> Box<dyn DynClient> {
        self.client
    }

    /// Performs `planned`: records the invocation, invokes, records the
    /// completion, retires the id on `info`; says how it ended and how
    /// long to wait.
    pub async fn perform(&mut self, planned: &Planned) -> Performed {
        let started = Instant::now();
        let process = Process::Client(self.id);
        let mut invoke = Op::new(process, OpType::Invoke, planned.f, planned.value.clone());
        invoke.key = planned.key.clone();
        invoke.node = self.node.clone();
        self.recorder.record(invoke);
        let done = self
            .client
            .invoke_dyn(planned.f, planned.key.as_deref(), &planned.value)
            .await;
        let mut completion = Op::new(process, done.kind, planned.f, done.value);
        completion.key = planned.key.clone();
        completion.node = self.node.clone();
        completion.error = done.error;
        self.recorder.record(completion);
        if done.kind == OpType::Info {
            self.id += self.stride;
        }
        let wait = match &mut self.backoff {
            Some(backoff) => {
                backoff.after(done.kind, started.elapsed(), done.unavailable, done.backoff)
            }
            None => None,
        };
        Performed {
            kind: done.kind,
            wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::{Client, Completion, Rng, Value};
    use std::sync::Mutex;

    /// An in-process fake client answering from a script, in order.
    struct Scripted(Mutex<Vec<Completion>>);

    impl Client for Scripted {
        async fn invoke(&self, _: &str, _: Option<&str>, _: &Value) -> Completion {
            self.0.lock().unwrap().remove(0)
        }
    }

    fn read(key: &str) -> Planned {
        Planned {
            f: "read",
            key: Some(key.into()),
            value: Value::Null,
        }
    }

    #[tokio::test]
    async fn info_retires_the_id_and_the_history_says_which_process_did_what() {
        let dir = std::env::temp_dir().join(format!("faultline-process-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.jsonl");
        let recorder = Arc::new(Recorder::create(&path, Default::default()).unwrap());
        let script = vec![
            Completion::ok(Value::from(1)),
            Completion::info(Value::Null, "timed out"),
            Completion::fail(Value::Null, "refused"),
        ];
        let mut process = ClientProcess::new(
            3,
            10,
            Some("n1".into()),
            Box::new(Scripted(Mutex::new(script))),
            recorder.clone(),
        );
        let kinds = [
            process.perform(&read("a")).await.kind,
            process.perform(&read("b")).await.kind,
            process.perform(&read("c")).await.kind,
        ];
        assert_eq!(kinds, [OpType::Ok, OpType::Info, OpType::Fail]);
        assert_eq!(process.id(), 13, "retired once, by the info");
        drop(process);
        drop(recorder);
        let history = faultline_core::parse_jsonl(&std::fs::read_to_string(&path).unwrap())
            .unwrap()
            .history;
        let seen: Vec<(String, u64, String)> = history
            .events()
            .iter()
            .map(|op| {
                let Process::Client(p) = op.process else {
                    panic!("a client op")
                };
                (format!("{:?}", op.kind), p, op.key.clone().unwrap())
            })
            .collect();
        let expected = [
            ("Invoke", 3, "a"),
            ("Ok", 3, "a"),
            ("Invoke", 3, "b"),
            ("Info", 3, "b"),
            ("Invoke", 13, "c"),
            ("Fail", 13, "c"),
        ]
        .map(|(k, p, key)| (k.to_owned(), p, key.to_owned()));
        assert_eq!(seen, expected);
        assert!(history
            .events()
            .iter()
            .all(|op| op.node.as_deref() == Some("n1")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn only_a_process_with_a_backoff_waits() {
        let dir = std::env::temp_dir().join(format!("faultline-backoff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let recorder =
            Arc::new(Recorder::create(&dir.join("h.jsonl"), Default::default()).unwrap());
        // Two conflicts (ordinary results), then refusals.
        let refusals = || {
            let mut script = vec![Completion::fail(Value::Null, "conflict"); 2];
            script.extend((0..2).map(|_| Completion::unavailable(Value::Null, "refused")));
            Box::new(Scripted(Mutex::new(script)))
        };
        let mut plain = ClientProcess::new(0, 1, None, refusals(), recorder.clone());
        let mut patient = ClientProcess::new(1, 1, None, refusals(), recorder.clone())
            .with_backoff(Backoff::new(Rng::new(5)));
        let mut waits = (Vec::new(), Vec::new());
        for _ in 0..4 {
            waits.0.push(plain.perform(&read("k")).await.wait);
            waits.1.push(patient.perform(&read("k")).await.wait);
        }
        assert!(waits.0.iter().all(Option::is_none), "{waits:?}");
        assert!(
            waits.1[..2].iter().all(Option::is_none) && waits.1[2..].iter().all(Option::is_some),
            "conflicts do not back off, refusals do: {waits:?}"
        );
        drop((plain, patient, recorder));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
