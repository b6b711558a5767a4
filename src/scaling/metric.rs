//! The per-service metrics a policy can track, one sample a minute.

use serde::Serialize;

/// A metric of one service. The first three are the ECS/ELB predefined metrics; the others are
/// custom metrics computed from the load model, for queue-driven workers and the like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Metric {
    /// `ECSServiceAverageCPUUtilization`: CPU used over CPU reserved by the RUNNING tasks, %.
    CpuUtilization,
    /// `ECSServiceAverageMemoryUtilization`: memory used over `memoryReservation` (or `memory`), %.
    MemoryUtilization,
    /// `ALBRequestCountPerTarget`: requests in the minute per healthy target.
    AlbRequestCountPerTarget,
    /// Offered requests per second.
    RequestsPerSecond,
    /// Offered requests per second per RUNNING task.
    RequestsPerTask,
    /// Requests waiting in the service's queue.
    Backlog,
    /// Requests waiting per RUNNING task.
    BacklogPerTask,
}

impl Metric {
    /// Every metric with the names a scenario may use for it (snake_case first).
    pub const NAMES: [(&'static str, &'static str, Metric); 7] = [
        ("cpu", "ECSServiceAverageCPUUtilization", Metric::CpuUtilization),
        ("memory", "ECSServiceAverageMemoryUtilization", Metric::MemoryUtilization),
        ("alb_requests_per_target", "ALBRequestCountPerTarget", Metric::AlbRequestCountPerTarget),
        ("requests_per_second", "RequestsPerSecond", Metric::RequestsPerSecond),
        ("requests_per_task", "RequestsPerTask", Metric::RequestsPerTask),
        ("backlog", "Backlog", Metric::Backlog),
        ("backlog_per_task", "BacklogPerTask", Metric::BacklogPerTask),
    ];

    pub fn parse(name: &str) -> Option<Metric> {
        Self::NAMES.iter().find(|(short, aws, _)| *short == name || *aws == name).map(|&(_, _, m)| m)
    }

    /// The AWS-style name used in outputs.
    pub fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, _, m)| *m == self).map(|&(_, aws, _)| aws).expect("every metric is named")
    }
}

/// One minute of a metric, as CloudWatch keeps it: enough to give any statistic over any
/// period made of whole minutes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// The mean of the values: kept rather than the sum so that a one-minute Average, the
    /// statistic nearly every alarm reads, costs no division.
    pub mean: f64,
    pub count: f64,
    pub min: f64,
    pub max: f64,
}

impl Sample {
    /// `count` equal values (the model's tasks share a service's load evenly).
    pub fn uniform(value: f64, count: f64) -> Self {
        Sample { mean: value, count, min: value, max: value }
    }

    pub fn merge(self, other: Sample) -> Sample {
        let count = self.count + other.count;
        Sample {
            mean: (self.mean * self.count + other.mean * other.count) / count,
            count,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }
}

/// A CloudWatch statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Statistic {
    Average,
    Minimum,
    Maximum,
    Sum,
    SampleCount,
}

impl Statistic {
    pub const NAMES: [(&'static str, Statistic); 5] = [
        ("Average", Statistic::Average),
        ("Minimum", Statistic::Minimum),
        ("Maximum", Statistic::Maximum),
        ("Sum", Statistic::Sum),
        ("SampleCount", Statistic::SampleCount),
    ];

    pub fn of(self, sample: &Sample) -> f64 {
        match self {
            Statistic::Average => sample.mean,
            Statistic::Minimum => sample.min,
            Statistic::Maximum => sample.max,
            Statistic::Sum => sample.mean * sample.count,
            Statistic::SampleCount => sample.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_over_merged_minutes_weight_by_sample_count() {
        // Minute 1: 2 tasks at 30 %; minute 2: 4 tasks at 60 %.
        let period = Sample::uniform(30.0, 2.0).merge(Sample::uniform(60.0, 4.0));
        assert_eq!(Statistic::Average.of(&period), (2.0 * 30.0 + 4.0 * 60.0) / 6.0); // 50, not 45
        assert_eq!(Statistic::Minimum.of(&period), 30.0);
        assert_eq!(Statistic::Maximum.of(&period), 60.0);
        assert_eq!(Statistic::Sum.of(&period), 300.0);
        assert_eq!(Statistic::SampleCount.of(&period), 6.0);
    }

    #[test]
    fn metric_names_parse_both_ways() {
        assert_eq!(Metric::parse("cpu"), Some(Metric::CpuUtilization));
        assert_eq!(Metric::parse("ECSServiceAverageMemoryUtilization"), Some(Metric::MemoryUtilization));
        assert_eq!(Metric::parse("latency"), None);
        for (short, aws, metric) in Metric::NAMES {
            assert_eq!((Metric::parse(short), Metric::parse(aws)), (Some(metric), Some(metric)));
        }
    }
}
