//! Demo accounts: `alice` / `wonderland` and `bob` / `builder`.
//!
//! Passwords are kept as argon2id hashes (the argon2 crate's defaults),
//! computed at start-up on a blocking thread so the first page is not delayed;
//! a login that arrives earlier waits for them. Each user's private note is
//! random and new at every start: seeing it is the proof of a compromise, so
//! it appears on that user's `/account` page and nowhere else (not in logs,
//! not in `Debug` output).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::{Rng, RngCore};
use tokio::sync::{OnceCell, Semaphore};

/// One argon2id operation takes 19 MiB and a core for tens of milliseconds.
/// Running more at once than there are cores only piles up memory, so every
/// app in the process (the demo runs three) shares these slots.
static ARGON2_SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Runs one argon2 job on a blocking thread once a slot is free.
async fn with_argon2_slot<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _slot = ARGON2_SLOTS.acquire().await.ok()?;
    tokio::task::spawn_blocking(job).await.ok()
}

/// A demo login, public on purpose: the attack engine logs in as the victim.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
}

/// The built-in accounts.
pub fn demo_accounts() -> Vec<DemoAccount> {
    sessionlab_protocol::DEMO_ACCOUNTS
        .into_iter()
        .map(|account| DemoAccount {
            username: account.username.into(),
            password: account.password.into(),
        })
        .collect()
}

/// The users of one running app: password hashes, private notes and e-mail addresses.
pub(crate) struct UserDirectory {
    accounts: Vec<DemoAccount>,
    notes: HashMap<String, String>,
    /// What the settings page changes (the CSRF lesson's target): `<name>@lab.test` at start.
    emails: Mutex<HashMap<String, String>>,
    hashes: OnceCell<PasswordHashes>,
}

struct PasswordHashes {
    /// Replaced by `set_password`.
    by_username: Mutex<HashMap<String, String>>,
    /// Checked for unknown usernames, so they take as long as known ones.
    decoy: Option<String>,
}

impl fmt::Debug for UserDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No notes, no hashes.
        let usernames: Vec<&str> = self.accounts.iter().map(|a| a.username.as_str()).collect();
        f.debug_struct("UserDirectory")
            .field("usernames", &usernames)
            .finish_non_exhaustive()
    }
}

impl UserDirectory {
    /// New notes, and (inside a Tokio runtime) hashing started in the background.
    pub(crate) fn start() -> Arc<Self> {
        Self::start_with(&[])
    }

    /// [`UserDirectory::start`] with some passwords replaced (`sessionlab
    /// class`: alice's is random and never shown, so only her own login opens
    /// her account). A pair naming no demo user is ignored.
    pub(crate) fn start_with(passwords: &[(String, String)]) -> Arc<Self> {
        let mut accounts = demo_accounts();
        for account in &mut accounts {
            if let Some((_, password)) = passwords.iter().find(|(u, _)| *u == account.username) {
                account.password.clone_from(password);
            }
        }
        let mut rng = rand::rng();
        let notes = accounts
            .iter()
            .map(|a| {
                (
                    a.username.clone(),
                    sessionlab_protocol::private_note(&a.username, rng.random::<u64>()),
                )
            })
            .collect();
        let emails = accounts
            .iter()
            .map(|a| (a.username.clone(), format!("{}@lab.test", a.username)))
            .collect();
        let users = Arc::new(Self {
            accounts,
            notes,
            emails: Mutex::new(emails),
            hashes: OnceCell::new(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let background = users.clone();
            runtime.spawn(async move {
                background.hashes().await;
            });
        }
        users
    }

    pub(crate) fn accounts(&self) -> &[DemoAccount] {
        &self.accounts
    }

    pub(crate) fn private_note(&self, username: &str) -> Option<&str> {
        self.notes.get(username).map(String::as_str)
    }

    /// Whether an account of this name exists (no password involved).
    pub(crate) fn knows(&self, username: &str) -> bool {
        self.notes.contains_key(username)
    }

    pub(crate) fn email(&self, username: &str) -> Option<String> {
        self.lock_emails().get(username).cloned()
    }

    /// Replaces the user's address; false for an unknown user.
    pub(crate) fn set_email(&self, username: &str, email: &str) -> bool {
        match self.lock_emails().get_mut(username) {
            Some(stored) => {
                *stored = email.to_owned();
                true
            }
            None => false,
        }
    }

    fn lock_emails(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic elsewhere while holding the lock cannot leave a half-written address.
        self.emails
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The hashes, computed once: by the start-up task, or by whoever asks first.
    async fn hashes(&self) -> &PasswordHashes {
        self.hashes
            .get_or_init(|| async {
                let accounts = self.accounts.clone();
                with_argon2_slot(move || PasswordHashes {
                    decoy: hash_password("decoy password for unknown users"),
                    by_username: Mutex::new(
                        accounts
                            .into_iter()
                            .filter_map(|a| Some((a.username, hash_password(&a.password)?)))
                            .collect(),
                    ),
                })
                .await
                .unwrap_or(PasswordHashes {
                    by_username: Mutex::default(),
                    decoy: None,
                })
            })
            .await
    }

    /// Checks a password (argon2id, on a blocking thread). Returns the username
    /// only when it exists and the password matches.
    pub(crate) async fn check_password(&self, username: &str, password: &str) -> Option<String> {
        let hashes = self.hashes().await;
        let known = hashes.stored_hash(username);
        let stored = known.clone().or_else(|| hashes.decoy.clone())?;
        let password = password.to_owned();
        let matches = with_argon2_slot(move || verify_password(&password, &stored))
            .await
            .unwrap_or(false);
        (matches && known.is_some()).then(|| username.to_owned())
    }

    /// Stores a new argon2id hash for an existing user (the password-change
    /// form). False for an unknown user or when hashing failed.
    pub(crate) async fn set_password(&self, username: &str, new_password: &str) -> bool {
        let hashes = self.hashes().await;
        if hashes.stored_hash(username).is_none() {
            return false;
        }
        let new_password = new_password.to_owned();
        let Some(Some(new_hash)) = with_argon2_slot(move || hash_password(&new_password)).await
        else {
            return false;
        };
        hashes
            .lock_by_username()
            .insert(username.to_owned(), new_hash);
        true
    }
}

impl PasswordHashes {
    fn lock_by_username(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // Every change is one insert: a panic elsewhere cannot leave half a hash.
        self.by_username
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stored_hash(&self, username: &str) -> Option<String> {
        self.lock_by_username().get(username).cloned()
    }
}

fn hash_password(password: &str) -> Option<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).ok()?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .ok()
        .map(|hash| hash.to_string())
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}
