//! The discrete-event engine: integer time, a deterministic event queue, the run loop and
//! seeded random streams.
//!
//! It knows nothing of ECS. A model supplies a closed event enum and one `handle` function;
//! the engine only promises that events come out in `(time, insertion order)` order, so two
//! runs of the same model on the same seed see the same history, on any machine.

mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::{Delay, Hazard, Rng, replication_seed, stable_hash, stream};
pub use time::{LONGEST_RUN_MS, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND, SimTime, seconds};

/// A simulation model driven by the engine: one `match` over its own event type.
pub trait Model {
    type Event;

    /// Handles one event at `now`; may schedule more events at `now` or later.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Runs `model` until the queue is empty or the next event lies after `until`.
/// Events at exactly `until` are handled.
pub fn run_until<M: Model>(model: &mut M, queue: &mut EventQueue<M::Event>, until: SimTime) {
    while let Some(at) = queue.peek_time() {
        if at > until {
            break;
        }
        let (now, event) = queue.pop().expect("peeked an event");
        model.handle(now, event, queue);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo {
        seen: Vec<(u64, u32)>,
    }

    impl Model for Echo {
        type Event = u32;
        fn handle(&mut self, now: SimTime, event: u32, queue: &mut EventQueue<u32>) {
            self.seen.push((now.as_millis(), event));
            if event == 1 {
                // Scheduled "now" from inside a handler: runs after everything already queued
                // for this instant.
                queue.schedule(now, 10);
            }
        }
    }

    #[test]
    fn run_until_stops_after_the_horizon_and_keeps_fifo_ties() {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime::from_millis(5), 1);
        queue.schedule(SimTime::from_millis(5), 2);
        queue.schedule(SimTime::from_millis(3), 3);
        queue.schedule(SimTime::from_millis(9), 4);
        let mut model = Echo { seen: Vec::new() };
        run_until(&mut model, &mut queue, SimTime::from_millis(8));
        assert_eq!(model.seen, vec![(3, 3), (5, 1), (5, 2), (5, 10)]);
        assert_eq!(queue.peek_time(), Some(SimTime::from_millis(9)));
    }
}
