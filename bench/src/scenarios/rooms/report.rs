//! What a fan-out run produced: what became of the messages and their frames,
//! Parley's run beside the echo reference's, and the section it writes.

use std::time::Duration;

use super::member::Received;
use super::sender::Sent;
use super::Plan;
use crate::latency::Latency;
use crate::report::{nonzero_counts, or_na, Figures, Losses, Section};
use crate::scenarios::answers::AnswerTotals;

/// What became of the messages and of their frames at the members.
#[derive(Default)]
pub struct Tally {
    pub answers: AnswerTotals,
    /// Acked and delivered to every member socket.
    pub fanned_out: u64,
    /// Acked messages times members.
    pub expected: u64,
    /// Distinct messages that reached a member, over all members.
    pub delivered: u64,
    /// Acked messages that never reached a member, over all members.
    pub lost: u64,
    /// Messages that reached a member more than once, over all members.
    pub duplicated: u64,
    /// First arrivals at a member after a later message.
    pub out_of_order: u64,
    pub strays: u64,
    pub dropped_sockets: u64,
}

impl Tally {
    pub(super) fn count(sent: &Sent, received: &[Received]) -> Self {
        let members = received.len() as u64;
        let mut tally = Self {
            expected: sent.answers.acked.len() as u64 * members,
            strays: sent.strays,
            dropped_sockets: u64::from(sent.dropped),
            ..Self::default()
        };
        tally.answers.add(&sent.answers);
        for &seq in &sent.answers.acked {
            let at = |r: &Received| {
                usize::try_from(seq)
                    .ok()
                    .and_then(|seq| r.deliveries.get(seq))
                    .copied()
                    .unwrap_or(0)
            };
            let missing = received.iter().filter(|r| at(r) == 0).count() as u64;
            tally.lost += missing;
            if missing == 0 {
                tally.fanned_out += 1;
            }
        }
        for r in received {
            tally.delivered += r.deliveries.iter().filter(|&&n| n >= 1).count() as u64;
            tally.duplicated += r.deliveries.iter().filter(|&&n| n >= 2).count() as u64;
            tally.out_of_order += r.out_of_order;
            tally.strays += r.strays;
            tally.dropped_sockets += u64::from(r.dropped);
        }
        tally
    }

    fn problems(&self, whose: &str) -> Vec<String> {
        let problems = nonzero_counts(&[
            (self.lost, "frames lost (acked, never at a member)"),
            (self.duplicated, "frames delivered more than once"),
            (self.out_of_order, "frames delivered out of order"),
            (self.answers.duplicate_acks, "sends acked as duplicates"),
            (self.answers.unanswered, "messages never answered"),
            (self.strays, "stray message frames"),
            (self.dropped_sockets, "sockets dropped"),
            (self.answers.error_frames(), "error frames"),
        ]);
        problems
            .into_iter()
            .map(|problem| format!("{whose}: {problem}"))
            .collect()
    }
}

/// One fan-out run: Parley's or the echo reference's.
pub struct Fanout {
    pub members: usize,
    pub tally: Tally,
    /// From the first send to the last ack or arrival.
    pub elapsed: Duration,
    pub ack: Latency,
    /// Send to arrival, every member's.
    pub delivery: Latency,
    /// Send to arrival at the last member.
    pub fanned_out: Latency,
    pub server_cpu: Option<Duration>,
    pub bench_cpu: Duration,
}

impl Fanout {
    /// Messages acked and at every member, per second.
    pub fn messages_per_second(&self) -> f64 {
        self.per_second(self.tally.fanned_out)
    }

    /// Frames that reached a member, per second.
    pub fn frames_per_second(&self) -> f64 {
        self.per_second(self.tally.delivered)
    }

    fn per_second(&self, count: u64) -> f64 {
        if self.elapsed.is_zero() {
            return 0.0;
        }
        count as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_per_frame(&self, cpu: Duration) -> String {
        format!(
            "{:.1}",
            cpu.as_micros() as f64 / self.tally.delivered.max(1) as f64
        )
    }

    fn rows(&self, figures: Figures, who: &str) -> Figures {
        let tally = &self.tally;
        let answers = &tally.answers;
        figures
            .row(format!("{who}: sent"), answers.sent)
            .row(format!("{who}: acked"), answers.acked)
            .row(
                format!("{who}: acked and at every member"),
                tally.fanned_out,
            )
            .row(
                format!("{who}: frames delivered / expected (acked × members)"),
                format!("{} / {}", tally.delivered, tally.expected),
            )
            .row(
                format!("{who}: frames lost / duplicated / out of order"),
                format!(
                    "{} / {} / {}",
                    tally.lost, tally.duplicated, tally.out_of_order
                ),
            )
            .row(
                format!("{who}: unanswered / strays / dropped sockets"),
                format!(
                    "{} / {} / {}",
                    answers.unanswered, tally.strays, tally.dropped_sockets
                ),
            )
            .row(format!("{who}: error frames"), answers.errors_figure())
            .row(
                format!("{who}: elapsed to last ack or arrival (s)"),
                format!("{:.2}", self.elapsed.as_secs_f64()),
            )
            .row(
                format!("{who}: messages/s (acked and at every member)"),
                format!("{:.0}", self.messages_per_second()),
            )
            .row(
                format!("{who}: frames/s delivered"),
                format!("{:.0}", self.frames_per_second()),
            )
            .row(
                format!("{who}: send → ack p50 / p90 / p99 / p99.9 / max (µs)"),
                self.ack.percentiles(),
            )
            .row(
                format!("{who}: send → each member p50 / p90 / p99 / p99.9 / max (µs)"),
                self.delivery.percentiles(),
            )
            .row(
                format!("{who}: send → last member p50 / p90 / p99 / p99.9 / max (µs)"),
                self.fanned_out.percentiles(),
            )
            .row(
                format!("{who}: server CPU per delivered frame (µs)"),
                or_na(self.server_cpu.map(|cpu| self.cpu_per_frame(cpu))),
            )
            .row(
                format!("{who}: bench CPU per delivered frame (µs)"),
                self.cpu_per_frame(self.bench_cpu),
            )
    }
}

pub struct RoomsReport {
    pub plan: Plan,
    pub parley: Fanout,
    pub echo: Fanout,
}

impl RoomsReport {
    /// Parley's delivered frames/s over the echo reference's.
    pub fn frames_ratio(&self) -> Option<f64> {
        let echo = self.echo.frames_per_second();
        (echo > 0.0).then(|| self.parley.frames_per_second() / echo)
    }

    /// Parley's run counts frames: a message lost at one member is one lost.
    pub fn losses(&self) -> Losses {
        Losses {
            lost: self.parley.tally.lost,
            duplicated: self.parley.tally.duplicated,
        }
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.parley.tally.problems("Parley");
        problems.extend(self.echo.tally.problems("echo reference"));
        problems
    }

    pub fn section(&self, title: &str) -> Section {
        let figures = Figures::new(title)
            .row("member sockets", self.parley.members)
            .row("messages", self.plan.messages)
            .row(
                "pace",
                format!(
                    "closed loop, window {} (sent, not yet acked and at every member)",
                    self.plan.window
                ),
            );
        let figures = self.parley.rows(figures, "Parley");
        self.echo
            .rows(figures, "echo reference")
            .row(
                "frames/s delivered, Parley / echo reference",
                or_na(self.frames_ratio().map(|ratio| format!("{ratio:.2}×"))),
            )
            .note("One public room of M members, each with one socket; the first member also sends, from a second socket (which Parley skips: it gets the ack instead, so its member socket is its other device). Every message's client id and content carry its sequence number and send instant (on the bench's monotonic clock). The sender keeps a window of messages in flight, and a message leaves the window only once it is acked *and* at every member socket: so the slowest reader paces the sender, no socket ever has more than the window waiting for it (far under the server's mailbox of 256 frames, which disconnects a slower socket), and throughput is what the whole room receives. Each member socket checks that every message arrived exactly once and in send order. Server CPU is utime+stime from /proc over the sending.")
            .note("The reference is the bench's own actix-ws echo server in broadcast mode (`parley-bench echo-server --broadcast`, a child process): the same member and sender sockets, the same frames and window, but each text frame is written as it came to every open socket, the sender's included (its copy stands in for the ack), with no authentication, JSON, hub, or database. Its frames/s is what this machine's WebSocket stack and the bench's own readers manage at this fan-out with nothing stored; the ratio is Parley's frames/s, while storing each message and routing it through its hub, against that. A ratio near 1 means the sockets and the bench, not Parley, set the pace (the echo server writes each frame to the sockets in turn from one task, so it is a plain fan-out, not a strict ceiling). The dm scenario is no reference here: it spends one database row per delivered frame, a room one per M frames.")
            .section(self.problems())
    }
}
