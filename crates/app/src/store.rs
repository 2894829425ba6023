//! `LabStore`: tower-sessions' in-memory store, with the two store-level
//! choices delegated to the defense modules: who picks a new session's ID
//! ([`random_ids`]) and what an unknown ID means ([`strict_ids`]).

use std::sync::Arc;

use async_trait::async_trait;
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::defenses::random_ids::IdIssuer;
use crate::defenses::strict_ids::UnknownIds;
use crate::{LabClock, Profile};

#[derive(Debug, Clone)]
pub(crate) struct LabStore {
    sessions: MemoryStore,
    ids: Arc<IdIssuer>,
    unknown_ids: UnknownIds,
    clock: LabClock,
}

impl LabStore {
    pub(crate) fn for_profile(profile: &Profile, clock: LabClock) -> Self {
        Self {
            clock,
            sessions: MemoryStore::default(),
            ids: Arc::new(IdIssuer::for_profile(profile)),
            unknown_ids: UnknownIds::for_profile(profile),
        }
    }

    /// Whether a live session is stored under `id` (for tests).
    #[cfg(test)]
    pub(crate) async fn holds(&self, id: &Id) -> bool {
        matches!(self.sessions.load(id).await, Ok(Some(_)))
    }
}

#[async_trait]
impl SessionStore for LabStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.ids.create(&self.sessions, record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.sessions.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.unknown_ids.load(&self.sessions, id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions.delete(id).await
    }
}
