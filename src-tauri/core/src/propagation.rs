//! Waiting for IAM: a new key or role works after seconds, sometimes minutes, and AWS
//! has no call that says "ready". Poll about once a second with jitter, retry only the
//! answers that mean "not yet", report every wait, and give up at a bounded time.

use std::future::Future;
use std::time::Duration;

use crate::events::{Event, EventSink};
use crate::ports::{AwsError, AwsErrorKind, Clock, Entropy};

/// How long and how often to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    pub timeout: Duration,
    pub interval: Duration,
    /// Up to this much random delay is added to each interval.
    pub jitter: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings { timeout: Duration::from_secs(120), interval: Duration::from_secs(1), jitter: Duration::from_millis(250) }
    }
}

/// The answers that mean "not propagated yet" for a new access key.
pub fn key_not_yet(e: &AwsError) -> bool {
    e.kind == AwsErrorKind::InvalidClientTokenId
}

/// The answers that mean "not propagated yet" for a new role or trust.
pub fn role_not_yet(e: &AwsError) -> bool {
    matches!(e.kind, AwsErrorKind::AccessDenied | AwsErrorKind::InvalidClientTokenId)
}

/// The answer CreateRole gives for a principal IAM does not know yet.
pub fn principal_not_yet(e: &AwsError) -> bool {
    e.kind == AwsErrorKind::MalformedPolicy && e.message.to_ascii_lowercase().contains("invalid principal")
}

/// How a wait ended without success.
#[derive(Debug)]
pub enum WaitError {
    /// An answer that is not "not yet": stop at once.
    Failed(AwsError),
    /// Still "not yet" when time ran out.
    TimedOut { waited: Duration, last: AwsError },
}

/// Call `attempt` until it succeeds, fails for real, or the timeout passes.
#[allow(clippy::too_many_arguments)] // each argument is a distinct injected dependency or label
pub async fn poll<T, F, Fut>(
    clock: &dyn Clock,
    entropy: &dyn Entropy,
    events: &EventSink,
    settings: PollSettings,
    step: &str,
    what: &str,
    not_yet: fn(&AwsError) -> bool,
    mut attempt: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let start = clock.now();
    let mut n: u32 = 0;
    loop {
        n += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) if !not_yet(&e) => return Err(WaitError::Failed(e)),
            Err(e) => {
                let elapsed: Duration = (clock.now() - start).try_into().unwrap_or_default();
                if elapsed >= settings.timeout {
                    return Err(WaitError::TimedOut { waited: elapsed, last: e });
                }
                (events)(&Event::Waiting {
                    step: step.into(),
                    what: what.into(),
                    attempt: n,
                    elapsed_seconds: elapsed.as_secs(),
                    limit_seconds: settings.timeout.as_secs(),
                    last_code: e.code.clone(),
                });
                let jitter = Duration::from_millis(entropy.jitter_ms(settings.jitter.as_millis() as u64));
                let remaining = settings.timeout - elapsed;
                clock.sleep((settings.interval + jitter).min(remaining)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FixedEntropy, ManualClock};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    fn denied() -> AwsError {
        AwsError::new(AwsErrorKind::AccessDenied, "sts:AssumeRole", "AccessDenied", "not yet")
    }

    #[tokio::test]
    async fn retries_not_yet_then_succeeds_within_one_interval() {
        let clock = ManualClock::new();
        let entropy = FixedEntropy::with_jitter(100);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let events: EventSink = Arc::new(move |e| s2.lock().unwrap().push(e.clone()));
        let calls = AtomicU32::new(0);
        let allowed_from = Arc::new(Mutex::new(None));
        let settings = PollSettings::default();
        let r = poll(&clock, &entropy, &events, settings, "wait:role:main", "role", role_not_yet, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let now = clock.now();
            let allowed_from = allowed_from.clone();
            async move {
                if n < 5 {
                    Err(denied())
                } else {
                    allowed_from.lock().unwrap().get_or_insert(now);
                    Ok("creds")
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(r, "creds");
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        // Five waits of one interval plus 100 ms jitter each: 5.5 s of virtual time.
        assert_eq!(clock.elapsed(), Duration::from_millis(5500));
        let waits: Vec<u32> = seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Waiting { attempt, last_code, .. } => {
                    assert_eq!(last_code, "AccessDenied");
                    Some(*attempt)
                }
                _ => None,
            })
            .collect();
        assert_eq!(waits, [1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn the_wait_ends_within_one_poll_of_becoming_ready() {
        // The role becomes assumable at 7.3 s of virtual time; the poll must notice by
        // 7.3 s + one interval + jitter.
        let clock = Arc::new(ManualClock::new());
        let entropy = FixedEntropy::with_jitter(200);
        let ready_at = Duration::from_millis(7300);
        let c2 = clock.clone();
        poll(clock.as_ref(), &entropy, &crate::events::discard(), PollSettings::default(), "s", "role", role_not_yet, || {
            let ready = c2.elapsed() >= ready_at;
            async move {
                if ready {
                    Ok(())
                } else {
                    Err(denied())
                }
            }
        })
        .await
        .unwrap();
        let finished = clock.elapsed();
        assert!(finished >= ready_at);
        assert!(finished - ready_at <= Duration::from_millis(1200), "noticed {:?} late", finished - ready_at);
    }

    #[tokio::test]
    async fn other_errors_stop_at_once_and_timeouts_are_bounded() {
        let clock = ManualClock::new();
        let entropy = FixedEntropy::default();
        let r: Result<(), _> =
            poll(&clock, &entropy, &crate::events::discard(), PollSettings::default(), "s", "key", key_not_yet, || async {
                Err(AwsError::new(AwsErrorKind::SignatureDoesNotMatch, "sts:GetCallerIdentity", "SignatureDoesNotMatch", "bad secret"))
            })
            .await;
        assert!(matches!(r, Err(WaitError::Failed(e)) if e.code == "SignatureDoesNotMatch"));
        assert_eq!(clock.elapsed(), Duration::ZERO);

        let settings = PollSettings { timeout: Duration::from_secs(10), ..Default::default() };
        let r: Result<(), _> =
            poll(&clock, &entropy, &crate::events::discard(), settings, "s", "role", role_not_yet, || async { Err(denied()) }).await;
        match r {
            Err(WaitError::TimedOut { waited, last }) => {
                assert_eq!(waited, Duration::from_secs(10));
                assert_eq!(last.code, "AccessDenied");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[test]
    fn not_yet_codes() {
        let e = AwsError::new(
            AwsErrorKind::MalformedPolicy,
            "iam:CreateRole",
            "MalformedPolicyDocument",
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:user/x\"",
        );
        assert!(principal_not_yet(&e));
        let e = AwsError::new(AwsErrorKind::MalformedPolicy, "iam:CreateRole", "MalformedPolicyDocument", "Syntax errors in policy");
        assert!(!principal_not_yet(&e));
        assert!(key_not_yet(&AwsError::new(AwsErrorKind::InvalidClientTokenId, "", "InvalidClientTokenId", "")));
        assert!(!key_not_yet(&denied()));
    }
}
