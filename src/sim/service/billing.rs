//! The Fargate bill in closed form: per task, from the image pull to the stop, rounded up to
//! the second with AWS's one-minute minimum when the task stops.

use super::*;

impl ServiceState<'_> {
    /// Fargate billing starts when the image pull starts (PENDING). EC2 tasks are not billed:
    /// their instances are.
    pub(super) fn start_billing(&mut self, slot: u32, now: SimTime) {
        if self.config.ec2().is_some() {
            return;
        }
        let task = &mut self.slots[slot as usize];
        task.billing_since = now;
        let k = usize::from(task.spot);
        self.live_billing[k] += 1;
        self.live_billing_start_sum[k] += now.as_millis();
    }

    pub(super) fn stop_billing(&mut self, slot: u32, now: SimTime) {
        if self.config.ec2().is_some() {
            return;
        }
        let (since, k) = (self.slots[slot as usize].billing_since, usize::from(self.slots[slot as usize].spot));
        let minimum = match &self.config.launch {
            Launch::Fargate(fargate) if fargate.windows => FARGATE_WINDOWS_MINIMUM_BILLED_MS,
            _ => FARGATE_MINIMUM_BILLED_MS,
        };
        self.closed_billed_ms[k] += billed_ms(now.since(since), minimum);
        self.live_billing[k] -= 1;
        self.live_billing_start_sum[k] -= since.as_millis();
    }

    /// Totals at the end of the run. Tasks still alive are billed up to the end, to the
    /// millisecond: the bill covers the simulated window, and such tasks have not stopped.
    pub(in crate::sim) fn summary(&self, end_ms: u64, cluster: &Cluster) -> ServiceSummary {
        let end = SimTime::from_millis(end_ms);
        let [on_demand, spot] = self.billed_ms_at(end);
        let (cost_vcpu_usd, cost_memory_usd, cost_storage_usd) = self.cost_at(end, cluster);
        let spot_cost_usd = match &self.config.launch {
            Launch::Fargate(fargate) => {
                let (cpu, memory) = fargate_cost(spot, self.config.cpu, self.config.memory, fargate.spot_rates);
                cpu + memory
            }
            Launch::Ec2(_) => 0.0,
        };
        let billed = on_demand + spot;
        ServiceSummary {
            billed_ms: billed,
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
