//! What a sender's messages got back: an `ack` (or, from the echo reference, the
//! message itself) or an `error` for each, tallied per sender and summed over
//! senders for a report.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::clock::Clock;
use crate::latency::Recorder;
use crate::stamp::Stamp;

/// One sender's tally.
pub struct Answers {
    /// Messages sent.
    pub sent: u64,
    /// Sequence numbers of the messages acked as new.
    pub acked: Vec<u64>,
    pub duplicate_acks: u64,
    /// `error` frames by code.
    pub errors: BTreeMap<String, u64>,
    /// From the (intended) send to the ack, µs.
    pub latency: Recorder,
    /// Clock reading of the last ack.
    pub last_ack: u64,
    answered: u64,
}

impl Answers {
    pub fn new() -> Result<Self> {
        Ok(Self {
            sent: 0,
            acked: Vec::new(),
            duplicate_acks: 0,
            errors: BTreeMap::new(),
            latency: Recorder::new()?,
            last_ack: 0,
            answered: 0,
        })
    }

    /// Sent messages that got an ack or an error.
    pub fn answered(&self) -> u64 {
        self.answered
    }

    /// Sent messages that got neither an ack nor an error (so far).
    pub fn unanswered(&self) -> u64 {
        self.sent - self.answered
    }

    /// An `ack`; one whose client id is not a bench stamp answers nothing.
    pub fn on_ack(&mut self, client_id: Option<&str>, duplicate: bool, clock: &Clock) {
        let Some(stamp) = client_id.and_then(Stamp::parse) else {
            return;
        };
        if duplicate {
            self.answered += 1;
            self.duplicate_acks += 1;
            self.record_latency(stamp, clock);
        } else {
            self.on_new(stamp, clock);
        }
    }

    /// A message acked as new, by an `ack` or by its own copy coming back.
    pub fn on_new(&mut self, stamp: Stamp, clock: &Clock) {
        self.answered += 1;
        self.acked.push(stamp.seq);
        self.record_latency(stamp, clock);
    }

    /// An `error`: counted by code, and an answer when it names a bench message.
    pub fn on_error(&mut self, code: String, client_id: Option<&str>) {
        *self.errors.entry(code).or_default() += 1;
        if client_id.and_then(Stamp::parse).is_some() {
            self.answered += 1;
        }
    }

    fn record_latency(&mut self, stamp: Stamp, clock: &Clock) {
        self.latency.record(clock.micros_since(stamp.sent_nanos));
        self.last_ack = clock.nanos();
    }
}

/// Answers summed over senders.
#[derive(Default)]
pub struct AnswerTotals {
    pub sent: u64,
    /// Acked as new (not duplicates).
    pub acked: u64,
    pub duplicate_acks: u64,
    pub unanswered: u64,
    /// `error` frames by code.
    pub errors: BTreeMap<String, u64>,
}

impl AnswerTotals {
    pub fn add(&mut self, answers: &Answers) {
        self.sent += answers.sent;
        self.acked += answers.acked.len() as u64;
        self.duplicate_acks += answers.duplicate_acks;
        self.unanswered += answers.unanswered();
        for (code, count) in &answers.errors {
            *self.errors.entry(code.clone()).or_default() += count;
        }
    }

    pub fn error_frames(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The error frames for a report row: "0", or the count of each code.
    pub fn errors_figure(&self) -> String {
        if self.errors.is_empty() {
            "0".to_owned()
        } else {
            format!("{:?}", self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_id(seq: u64) -> String {
        Stamp {
            pair: 0,
            seq,
            sent_nanos: 0,
        }
        .client_id()
    }

    #[test]
    fn tallies_acks_duplicates_errors_and_silence() {
        let clock = Clock::start();
        let mut answers = Answers::new().unwrap();
        answers.sent = 5;
        answers.on_ack(Some(&client_id(0)), false, &clock);
        answers.on_ack(Some(&client_id(1)), true, &clock);
        answers.on_ack(Some("not-a-stamp"), false, &clock);
        answers.on_error("rate_limited".into(), Some(&client_id(2)));
        answers.on_error("invalid_frame".into(), None);
        assert_eq!(answers.acked, [0]);
        assert_eq!((answers.duplicate_acks, answers.answered()), (1, 3));

        let mut totals = AnswerTotals::default();
        totals.add(&answers);
        totals.add(&answers);
        assert_eq!((totals.sent, totals.acked, totals.unanswered), (10, 2, 4));
        assert_eq!(totals.error_frames(), 4);
        assert_eq!(
            totals.errors_figure(),
            r#"{"invalid_frame": 2, "rate_limited": 2}"#
        );
        assert_eq!(AnswerTotals::default().errors_figure(), "0");
    }
}
