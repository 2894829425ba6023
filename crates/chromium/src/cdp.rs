//! A small DevTools-protocol client: JSON commands and events over one
//! WebSocket to the browser's `ws://127.0.0.1:<port>/devtools/browser/<id>`,
//! with flat sessions (`Target.attachToTarget { flatten: true }`).
//!
//! Commands are answered by id; events go to the handler registered for their
//! session, which runs on the reader task (it must not block).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::ChromiumError;

/// How long one command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// What receives one session's events: `(method, params)`.
pub type EventHandler = Box<dyn Fn(&str, &Value) + Send + Sync>;

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;
type Handlers = Arc<Mutex<HashMap<String, EventHandler>>>;

/// One connection to a browser's DevTools endpoint.
#[derive(Clone)]
pub struct Connection {
    outgoing: mpsc::UnboundedSender<String>,
    pending: Pending,
    handlers: Handlers,
    next_id: Arc<AtomicU64>,
}

impl Connection {
    /// Connects to `ws_url` and starts the reader and writer tasks.
    pub async fn connect(ws_url: &str) -> Result<Self, ChromiumError> {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .map_err(|e| ChromiumError::Protocol(format!("cannot connect to {ws_url}: {e}")))?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = to_send.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let handlers: Handlers = Arc::default();
        let (pending_in, handlers_in) = (pending.clone(), handlers.clone());
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = value.get("id").and_then(Value::as_u64) {
                    let waiter = lock(&pending_in).remove(&id);
                    if let Some(waiter) = waiter {
                        let answer = match value.get("error") {
                            Some(error) => Err(error.to_string()),
                            None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
                        };
                        let _ = waiter.send(answer);
                    }
                } else if let Some(method) = value.get("method").and_then(Value::as_str) {
                    let session = value.get("sessionId").and_then(Value::as_str).unwrap_or("");
                    let params = value.get("params").unwrap_or(&Value::Null);
                    if let Some(handler) = lock(&handlers_in).get(session) {
                        handler(method, params);
                    }
                }
            }
            // The browser went away: every waiting command fails now rather than at its timeout.
            lock(&pending_in).clear();
        });
        Ok(Self {
            outgoing,
            pending,
            handlers,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    /// Sends `method` with `params` to the browser (`session` None) or to an
    /// attached target's session, and waits for its result.
    pub async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, ChromiumError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        self.outgoing
            .send(message.to_string())
            .map_err(|_| ChromiumError::Protocol("the DevTools connection is closed".into()))?;
        match tokio::time::timeout(COMMAND_TIMEOUT, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => Err(ChromiumError::Protocol(format!("{method}: {error}"))),
            Ok(Err(_)) => Err(ChromiumError::Protocol(format!(
                "{method}: the browser closed the connection"
            ))),
            Err(_) => {
                lock(&self.pending).remove(&id);
                Err(ChromiumError::Protocol(format!(
                    "{method}: no answer within {}s",
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
        }
    }

    /// Routes the events of `session` to `handler`.
    pub fn on_events(&self, session: &str, handler: EventHandler) {
        lock(&self.handlers).insert(session.to_string(), handler);
    }
}

impl Connection {
    /// Stops routing the events of `session` (its handler holds this connection).
    pub fn forget(&self, session: &str) {
        lock(&self.handlers).remove(session);
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
