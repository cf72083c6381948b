//! Waiting for IAM: a new key or role works after seconds, sometimes minutes, and AWS
//! has no call that says "ready". Poll fast just after a creation and back off to about
//! once a second, with jitter; retry only the answers that mean "not yet", report each
//! wait, and give up at a bounded time.

use std::future::Future;
use std::time::Duration;

use crate::events::{Event, EventSink};
use crate::plan::StepId;
use crate::ports::{AwsError, AwsErrorKind, Clock, Entropy};

/// How long and how often to poll.
///
/// The pause before the next attempt is a tenth of the time waited so far, at least
/// `first` and at most `interval`: a change that takes t seconds to propagate is
/// noticed about t/10 later (0.2 s at first, never more than a second plus jitter),
/// and a long wait costs one call a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    pub timeout: Duration,
    /// The shortest pause, just after the creation.
    pub first: Duration,
    /// The longest pause, once the wait has lasted ten times this.
    pub interval: Duration,
    /// Up to this much random delay is added to each pause (at most a quarter of the
    /// pause, so the fast first polls stay fast).
    pub jitter: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            timeout: Duration::from_secs(120),
            first: Duration::from_millis(200),
            interval: Duration::from_secs(1),
            jitter: Duration::from_millis(250),
        }
    }
}

/// The pause is this fraction (1/N) of the time waited so far.
const PAUSE_FRACTION: u32 = 10;
/// A wait that goes on is reported about this often, however fast it polls.
const REPORT_EVERY: Duration = Duration::from_secs(1);

impl PollSettings {
    /// The pause before the next attempt, after waiting `elapsed` (jitter not included).
    pub fn pause(&self, elapsed: Duration) -> Duration {
        (elapsed / PAUSE_FRACTION).max(self.first).min(self.interval)
    }

    /// The most jitter added to `pause`.
    pub fn max_jitter(&self, pause: Duration) -> Duration {
        self.jitter.min(pause / 4)
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
    step: &StepId,
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
    let mut reported: Option<Duration> = None;
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
                if reported.is_none_or(|at| elapsed >= at + REPORT_EVERY) {
                    reported = Some(elapsed);
                    (events)(&Event::Waiting {
                        step: step.into(),
                        what: what.into(),
                        attempt: n,
                        elapsed_seconds: elapsed.as_secs(),
                        limit_seconds: settings.timeout.as_secs(),
                        last_code: e.code.clone(),
                    });
                }
                let pause = settings.pause(elapsed);
                let jitter = Duration::from_millis(entropy.jitter_ms(settings.max_jitter(pause).as_millis() as u64));
                let remaining = settings.timeout - elapsed;
                clock.sleep((pause + jitter).min(remaining)).await;
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

    /// The step the waits below report under.
    const S: &StepId = &StepId::WaitAccessKey;

    fn denied() -> AwsError {
        AwsError::new(AwsErrorKind::AccessDenied, "sts:AssumeRole", "AccessDenied", "not yet")
    }

    /// The virtual times of every attempt of a wait that is never ready, until `settings` times out.
    async fn attempt_times(settings: PollSettings, jitter_ms: u64) -> (Vec<Duration>, Duration) {
        let clock = Arc::new(ManualClock::new());
        let entropy = FixedEntropy::with_jitter(jitter_ms);
        let times = Mutex::new(Vec::new());
        let c2 = clock.clone();
        let r: Result<(), _> = poll(clock.as_ref(), &entropy, &crate::events::discard(), settings, S, "role", role_not_yet, || {
            times.lock().unwrap().push(c2.elapsed());
            async { Err(denied()) }
        })
        .await;
        let Err(WaitError::TimedOut { waited, .. }) = r else { panic!("expected a timeout, got {r:?}") };
        (times.into_inner().unwrap(), waited)
    }

    #[tokio::test]
    async fn retries_not_yet_then_succeeds_and_reports_the_wait_about_once_a_second() {
        let clock = ManualClock::new();
        let entropy = FixedEntropy::with_jitter(100);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let events: EventSink = Arc::new(move |e| s2.lock().unwrap().push(e.clone()));
        let calls = AtomicU32::new(0);
        let settings = PollSettings::default();
        let r = poll(&clock, &entropy, &events, settings, &StepId::wait_role("main"), "role", role_not_yet, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 5 {
                    Err(denied())
                } else {
                    Ok("creds")
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(r, "creds");
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        // Five pauses of 200 ms, each with its jitter capped at a quarter (50 ms).
        assert_eq!(clock.elapsed(), Duration::from_millis(1250));
        let waits: Vec<(u32, u64)> = seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Waiting { attempt, elapsed_seconds, last_code, .. } => {
                    assert_eq!(last_code, "AccessDenied");
                    Some((*attempt, *elapsed_seconds))
                }
                _ => None,
            })
            .collect();
        // The first "not yet" is reported at once, the next one a second later.
        assert_eq!(waits, [(1, 0), (5, 1)]);
    }

    #[tokio::test]
    async fn the_wait_ends_soon_after_becoming_ready_in_proportion_to_the_wait() {
        // Ready at each of these virtual times, the poll notices within a tenth of the
        // wait (at least 200 ms, at most 1 s), plus at most a quarter of that as jitter.
        for ready_ms in [150, 300, 2_000, 4_000, 7_300, 8_000, 30_000] {
            let ready_at = Duration::from_millis(ready_ms);
            for jitter in [0, 250] {
                let clock = Arc::new(ManualClock::new());
                let entropy = FixedEntropy::with_jitter(jitter);
                let c2 = clock.clone();
                poll(clock.as_ref(), &entropy, &crate::events::discard(), PollSettings::default(), S, "role", role_not_yet, || {
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
                let late = clock.elapsed() - ready_at;
                let pause = (ready_at / 10).clamp(Duration::from_millis(200), Duration::from_secs(1));
                assert!(late <= pause + pause / 4, "ready at {ready_at:?}, noticed {late:?} late (at most {:?})", pause + pause / 4);
            }
        }
    }

    #[tokio::test]
    async fn pauses_grow_from_the_first_to_the_interval_and_never_pass_the_deadline() {
        let settings = PollSettings { timeout: Duration::from_millis(30_100), ..PollSettings::default() };
        let (times, waited) = attempt_times(settings, 250).await;
        let pauses: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        // Fast just after the creation: 200 ms plus a quarter of it as jitter.
        assert_eq!(pauses[0], Duration::from_millis(250));
        // They grow, and are capped at one second plus jitter once the wait has lasted ten seconds.
        let (capped, last) = (&pauses[..pauses.len() - 1], pauses[pauses.len() - 1]);
        assert!(capped.windows(2).all(|p| p[0] <= p[1]), "pauses never shrink: {pauses:?}");
        assert!(capped.iter().all(|p| *p <= Duration::from_millis(1250)), "{pauses:?}");
        assert!(times.iter().zip(capped).all(|(t, p)| *t < Duration::from_secs(10) || *p == Duration::from_millis(1250)));
        // The last attempt is made at the deadline exactly, never after it.
        assert_eq!(*times.last().unwrap(), settings.timeout);
        assert_eq!(waited, settings.timeout);
        assert!(last < Duration::from_millis(1250), "the last pause is cut to the deadline: {last:?}");
        // Fast polling is brief: about two calls a second in the first 10 s (a fixed
        // 200 ms poll would make 40), then one every 1.25 s.
        let early = times.iter().filter(|t| **t < Duration::from_secs(10)).count();
        assert!((20..=25).contains(&early), "{early} attempts in the first 10 s");
        assert!((16..=17).contains(&(times.len() - early)), "{} attempts from 10 s to 30.1 s", times.len() - early);

        // A deadline shorter than the first pause is still kept.
        let short = PollSettings { timeout: Duration::from_millis(120), ..PollSettings::default() };
        let (times, waited) = attempt_times(short, 250).await;
        assert_eq!(times, [Duration::ZERO, Duration::from_millis(120)]);
        assert_eq!(waited, Duration::from_millis(120));
    }

    #[test]
    fn the_pause_is_a_tenth_of_the_wait_between_the_first_and_the_interval() {
        let s = PollSettings::default();
        assert_eq!(s.pause(Duration::ZERO), Duration::from_millis(200));
        assert_eq!(s.pause(Duration::from_secs(4)), Duration::from_millis(400));
        assert_eq!(s.pause(Duration::from_secs(7)), Duration::from_millis(700));
        assert_eq!(s.pause(Duration::from_secs(60)), Duration::from_secs(1));
        assert_eq!(s.max_jitter(Duration::from_millis(200)), Duration::from_millis(50));
        assert_eq!(s.max_jitter(Duration::from_secs(1)), Duration::from_millis(250));
        // Settings whose first pause is longer than the interval poll at the interval.
        let odd = PollSettings { first: Duration::from_secs(5), ..s };
        assert_eq!(odd.pause(Duration::ZERO), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn other_errors_stop_at_once_and_timeouts_are_bounded() {
        let clock = ManualClock::new();
        let entropy = FixedEntropy::default();
        let r: Result<(), _> =
            poll(&clock, &entropy, &crate::events::discard(), PollSettings::default(), S, "key", key_not_yet, || async {
                Err(AwsError::new(AwsErrorKind::SignatureDoesNotMatch, "sts:GetCallerIdentity", "SignatureDoesNotMatch", "bad secret"))
            })
            .await;
        assert!(matches!(r, Err(WaitError::Failed(e)) if e.code == "SignatureDoesNotMatch"));
        assert_eq!(clock.elapsed(), Duration::ZERO);

        let settings = PollSettings { timeout: Duration::from_secs(10), ..Default::default() };
        let r: Result<(), _> =
            poll(&clock, &entropy, &crate::events::discard(), settings, S, "role", role_not_yet, || async { Err(denied()) }).await;
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
