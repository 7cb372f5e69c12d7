//! What a dm run produced: what became of the messages, and the section it
//! writes.

use std::collections::BTreeMap;
use std::time::Duration;

use super::receiver::Received;
use super::sender::Sent;
use super::Load;
use crate::latency::Latency;
use crate::report::{nonzero_counts, or_na, Figures, Losses, Section};
use crate::scenarios::answers::AnswerTotals;
use crate::scenarios::connections::IdleFigures;

/// What became of the messages, across all pairs.
#[derive(Default)]
pub struct Messages {
    pub answers: AnswerTotals,
    /// Distinct messages that reached their receiver.
    pub delivered: u64,
    /// Acked and delivered.
    pub completed: u64,
    /// Acked but never delivered, not even after reconnecting with `since`.
    pub lost: u64,
    /// Acked and first delivered on a receiver's reconnected socket: the server
    /// dropped the receiver but kept the messages for it.
    pub recovered: u64,
    /// Delivered more than once.
    pub duplicated: u64,
    pub strays: u64,
    /// Receiver sockets the server closed during the run (each reconnected).
    pub receivers_dropped: u64,
    /// How they were closed: code and reason, with how often.
    pub receiver_closes: BTreeMap<String, u64>,
    pub senders_dropped: u64,
}

impl Messages {
    pub(super) fn count(sent: &[Sent], received: &[Received]) -> Self {
        let mut messages = Self::default();
        for (sent, received) in sent.iter().zip(received) {
            messages.answers.add(&sent.answers);
            messages.strays += received.strays;
            messages.senders_dropped += u64::from(sent.dropped);
            messages.receivers_dropped += received.drops.len() as u64;
            for closed in &received.drops {
                *messages
                    .receiver_closes
                    .entry(closed.to_string())
                    .or_default() += 1;
            }
            messages.recovered += received.recovered;
            for &seq in &sent.answers.acked {
                let arrivals = usize::try_from(seq)
                    .ok()
                    .and_then(|seq| received.deliveries.get(seq))
                    .copied()
                    .unwrap_or(0);
                if arrivals == 0 {
                    messages.lost += 1;
                } else {
                    messages.completed += 1;
                }
            }
            let arrived = |times: u32| received.deliveries.iter().filter(|&&n| n >= times).count();
            messages.delivered += arrived(1) as u64;
            messages.duplicated += arrived(2) as u64;
        }
        messages
    }

    fn problems(&self) -> Vec<String> {
        nonzero_counts(&[
            (self.lost, "messages acked but never delivered"),
            (self.duplicated, "messages delivered more than once"),
            (self.answers.duplicate_acks, "sends acked as duplicates"),
            (self.answers.unanswered, "messages never answered"),
            (self.strays, "messages delivered to the wrong receiver"),
            (
                self.recovered,
                "messages delivered only after their receiver reconnected",
            ),
            (
                self.receivers_dropped,
                "receiver sockets dropped by the server",
            ),
            (self.senders_dropped, "sender sockets dropped"),
            (self.answers.error_frames(), "error frames"),
        ])
    }
}

pub struct DmReport {
    pub pairs: usize,
    pub load: Load,
    pub messages: Messages,
    /// From the first slot to the last ack or first arrival.
    pub elapsed: Duration,
    pub delivery: Latency,
    pub ack: Latency,
    pub server_cpu: Option<Duration>,
    pub bench_cpu: Duration,
    /// Rows stored for the senders during the run (PostgreSQL only).
    pub stored: Option<i64>,
    pub idle: Option<IdleFigures>,
}

impl DmReport {
    /// Messages acked and delivered, per second.
    pub fn throughput(&self) -> f64 {
        if self.elapsed.is_zero() {
            return 0.0;
        }
        self.messages.completed as f64 / self.elapsed.as_secs_f64()
    }

    pub fn losses(&self) -> Losses {
        Losses {
            lost: self.messages.lost,
            duplicated: self.messages.duplicated,
        }
    }

    fn cpu_per_message(&self, cpu: Duration) -> f64 {
        cpu.as_micros() as f64 / self.messages.completed.max(1) as f64
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.messages.problems();
        if let Some(stored) = self.stored {
            if stored != self.messages.answers.acked as i64 {
                problems.push(format!(
                    "{stored} rows stored for {} acks",
                    self.messages.answers.acked
                ));
            }
        }
        if let Some(idle) = &self.idle {
            problems.extend(idle.problems("the idle sockets"));
        }
        problems
    }

    pub fn section(&self, title: &str) -> Section {
        let messages = &self.messages;
        let answers = &messages.answers;
        let mut figures = Figures::new(title)
            .row("pairs", self.pairs)
            .row("pace", self.load.pace)
            .row("sending time (s)", self.load.duration.as_secs())
            .row("sent", answers.sent)
            .row("acked", answers.acked)
            .row("delivered", messages.delivered)
            .row("acked and delivered", messages.completed)
            .row("lost (acked, never delivered)", messages.lost)
            .row(
                "receiver sockets dropped by the server (close codes)",
                dropped_figure(messages.receivers_dropped, &messages.receiver_closes),
            )
            .row(
                "dropped + recovered (delivered after reconnecting with since)",
                messages.recovered,
            )
            .row("duplicated (delivered more than once)", messages.duplicated)
            .row("unanswered", answers.unanswered)
            .row("error frames", answers.errors_figure())
            .row(
                "elapsed to last ack or delivery (s)",
                format!("{:.2}", self.elapsed.as_secs_f64()),
            )
            .row(
                "throughput, acked and delivered (msg/s)",
                format!("{:.0}", self.throughput()),
            )
            .row(
                "send → receive latency p50 / p90 / p99 / p99.9 / max (µs)",
                self.delivery.percentiles(),
            )
            .row(
                "send → ack latency p50 / p90 / p99 / p99.9 / max (µs)",
                self.ack.percentiles(),
            )
            .row(
                "server CPU per message (µs)",
                or_na(
                    self.server_cpu
                        .map(|cpu| format!("{:.1}", self.cpu_per_message(cpu))),
                ),
            )
            .row(
                "bench CPU per message (µs)",
                format!("{:.1}", self.cpu_per_message(self.bench_cpu)),
            )
            .row(
                "rows stored for the senders (SQL) / acked",
                or_na(
                    self.stored
                        .map(|stored| format!("{stored} / {}", answers.acked)),
                ),
            );
        if let Some(idle) = &self.idle {
            figures = idle.rows(figures, "idle sockets");
        }
        figures
            .note("Each message's client id and content carry its pair, sequence number and send instant (on the bench's monotonic clock); latency is measured to its first arrival at the receiver, from the instant it was sent in a closed loop, or from its scheduled slot in an open loop (so a late send counts against the server, with no coordinated omission). A message counts towards throughput once both its ack and its delivery arrived; the elapsed time runs from the first slot to the last of those. Server CPU is utime+stime from /proc over the sending and draining. Every socket the server closes is logged with its close code; a dropped receiver reconnects with `since` = the last cursor it saw, and the messages that first arrive then are counted as dropped + recovered, not as lost (both are problems).")
            .section(self.problems())
    }
}

/// "0", or e.g. "3 (close 1013 \"too slow\" ×3)".
fn dropped_figure(dropped: u64, closes: &BTreeMap<String, u64>) -> String {
    if dropped == 0 {
        return "0".to_owned();
    }
    let closes: Vec<String> = closes
        .iter()
        .map(|(close, count)| format!("{close} ×{count}"))
        .collect();
    format!("{dropped} ({})", closes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_counted_by_close() {
        assert_eq!(dropped_figure(0, &BTreeMap::new()), "0");
        let closes = BTreeMap::from([("close 1013 \"too slow\"".to_owned(), 3)]);
        assert_eq!(dropped_figure(3, &closes), "3 (close 1013 \"too slow\" ×3)");
    }
}
