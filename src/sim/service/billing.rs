//! The Fargate bill in closed form: per task, from the image pull to the stop, rounded up to
//! the second with AWS's one-minute minimum when the task stops; kept per task size, since
//! a right-sizing deployment runs two at once.

use super::*;
use crate::config::TaskSize;

impl ServiceState<'_> {
    /// Fargate billing starts when the image pull starts (PENDING). EC2 tasks are not billed:
    /// their instances are.
    pub(super) fn start_billing(&mut self, slot: u32, now: SimTime) {
        if self.config.ec2().is_some() {
            return;
        }
        let task = &mut self.slots[slot as usize];
        task.billing_since = now;
        let (k, bill) = (usize::from(task.spot), &mut self.bills[task.size as usize]);
        bill.live[k] += 1;
        bill.start_sum[k] += now.as_millis();
    }

    pub(super) fn stop_billing(&mut self, slot: u32, now: SimTime) {
        if self.config.ec2().is_some() {
            return;
        }
        let task = &self.slots[slot as usize];
        let (since, k) = (task.billing_since, usize::from(task.spot));
        let minimum = match &self.config.launch {
            Launch::Fargate(fargate) if fargate.windows => FARGATE_WINDOWS_MINIMUM_BILLED_MS,
            _ => FARGATE_MINIMUM_BILLED_MS,
        };
        let bill = &mut self.bills[task.size as usize];
        bill.closed_ms[k] += billed_ms(now.since(since), minimum);
        bill.live[k] -= 1;
        bill.start_sum[k] -= since.as_millis();
    }

    /// Billed Fargate milliseconds up to `now`, every size: On-Demand, Spot.
    pub(super) fn billed_ms_at(&self, now: SimTime) -> [u64; 2] {
        self.bills.iter().map(|bill| bill.at(now)).fold([0, 0], |[a, b], [c, d]| [a + c, b + d])
    }

    /// The Fargate bill up to `now` as (vCPU, memory, storage) dollars, summed over the task
    /// sizes of `ms`: each size's billed milliseconds at On-Demand and at Spot.
    pub(super) fn fargate_bill_at(
        &self,
        fargate: &FargateLaunch,
        ms: impl Fn(&BillClock) -> [u64; 2],
    ) -> (f64, f64, f64) {
        let mut total = (0.0, 0.0, 0.0);
        for (k, bill) in (0..).zip(&self.bills) {
            let (cpu, memory, storage) = fargate_bill(self.config.task_size(k), ms(bill), fargate);
            total = (total.0 + cpu, total.1 + memory, total.2 + storage);
        }
        total
    }

    /// Totals at the end of the run. Tasks still alive are billed up to the end, to the
    /// millisecond: the bill covers the simulated window, and such tasks have not stopped.
    pub(in crate::sim) fn summary(&self, end_ms: u64, cluster: &Cluster) -> ServiceSummary {
        let end = SimTime::from_millis(end_ms);
        let [on_demand, spot] = self.billed_ms_at(end);
        let (cost_vcpu_usd, cost_memory_usd, cost_storage_usd) = self.cost_at(end, cluster);
        let spot_cost_usd = match &self.config.launch {
            Launch::Fargate(fargate) => {
                let (cpu, memory, _) = self.fargate_bill_at(fargate, |bill| [0, bill.at(end)[1]]);
                cpu + memory
            }
            Launch::Ec2(_) => 0.0,
        };
        ServiceSummary {
            billed_ms: on_demand + spot,
            cost_vcpu_usd,
            cost_memory_usd,
            cost_storage_usd,
            spot_cost_usd,
            elasticity: self.demand_per_task.map(|_| self.elasticity.metrics(end_ms)),
            job: self.config.job.as_ref().map(|_| self.jobbing.summary.clone()),
            ..self.summary.clone()
        }
    }
}

/// What tasks of `size` cost for `[on_demand, spot]` billed milliseconds, as (vCPU, memory,
/// storage) dollars: vCPU and memory at each rate, a Windows licence with the vCPU, the
/// ephemeral storage beyond the included 20 GB at On-Demand's rate.
pub(super) fn fargate_bill(size: TaskSize, [on_demand, spot]: [u64; 2], fargate: &FargateLaunch) -> (f64, f64, f64) {
    let (cpu, memory) = fargate_cost(on_demand, size.cpu, size.memory, fargate.rates);
    let (spot_cpu, spot_memory) = fargate_cost(spot, size.cpu, size.memory, fargate.spot_rates);
    let hours = (on_demand + spot) as f64 / MS_PER_HOUR as f64;
    let (license, storage) = fargate_extras_hour(size.cpu, fargate.windows, fargate.storage_gib);
    (cpu + spot_cpu + hours * license, memory + spot_memory, hours * storage)
}
