#!/usr/bin/env bash
# Exports what `ecsim import` reads, with your own credentials and read-only calls:
#
#   scripts/export-from-aws.sh CLUSTER SERVICE... --start 2026-11-01T00:00:00Z --end 2026-11-08T00:00:00Z [--out DIR] [--period 60]
#
# into DIR (default aws-export/), one JSON file per command. Then:
#
#   ecsim import DIR --out imported/
#
# CloudWatch keeps 1-minute datapoints for 15 days, 5-minute ones for 63 days: for an older or
# longer window give --period 300. The IAM permissions it needs are listed in README.md
# ("Import a running setup").
set -euo pipefail

usage() { sed -n '2,6p' "$0" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cluster=$1; shift
services=(); start=""; end=""; out="aws-export"; period=60
while [[ $# -gt 0 ]]; do
  case $1 in
    --start) start=$2; shift 2 ;;
    --end) end=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --period) period=$2; shift 2 ;;
    -*) usage ;;
    *) services+=("$1"); shift ;;
  esac
done
[[ ${#services[@]} -gt 0 && -n $start && -n $end ]] || usage
mkdir -p "$out"
run() { local file=$1; shift; echo "aws $*" >&2; aws "$@" --output json > "$out/$file"; }

run describe-clusters.json ecs describe-clusters --clusters "$cluster" --include SETTINGS
run describe-services.json ecs describe-services --cluster "$cluster" --services "${services[@]}"
run describe-capacity-providers.json ecs describe-capacity-providers
run describe-alarms.json cloudwatch describe-alarms
asgs=$(aws ecs describe-capacity-providers --output text \
  --query 'capacityProviders[].autoScalingGroupProvider.autoScalingGroupArn' | tr '\t' '\n' | sed -n 's/.*autoScalingGroupName\///p')
if [[ -n $asgs ]]; then
  # shellcheck disable=SC2086 # one name per word
  run describe-auto-scaling-groups.json autoscaling describe-auto-scaling-groups --auto-scaling-group-names $asgs
fi
for service in "${services[@]}"; do
  resource="service/$cluster/$service"
  run "describe-scalable-targets-$service.json" application-autoscaling describe-scalable-targets --service-namespace ecs --resource-ids "$resource"
  run "describe-scaling-policies-$service.json" application-autoscaling describe-scaling-policies --service-namespace ecs --resource-id "$resource"
  run "describe-scheduled-actions-$service.json" application-autoscaling describe-scheduled-actions --service-namespace ecs --resource-id "$resource"
  task_definition=$(aws ecs describe-services --cluster "$cluster" --services "$service" --output text --query 'services[0].taskDefinition')
  run "describe-task-definition-$service.json" ecs describe-task-definition --task-definition "$task_definition"
  # The load: RequestCount of the service's target group (with its load balancer), and the
  # service's CPU and memory, and Container Insights' running and desired tasks, for
  # calibration (each Id and Label names the service, so several services' files do not mix).
  target_group=$(aws ecs describe-services --cluster "$cluster" --services "$service" --output text --query 'services[0].loadBalancers[0].targetGroupArn')
  queries="[{\"Id\":\"cpu_${service//[^A-Za-z0-9_]/_}\",\"Label\":\"CPUUtilization $service\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/ECS\",\"MetricName\":\"CPUUtilization\",\"Dimensions\":[{\"Name\":\"ClusterName\",\"Value\":\"$cluster\"},{\"Name\":\"ServiceName\",\"Value\":\"$service\"}]},\"Period\":$period,\"Stat\":\"Average\"}}"
  queries+=",{\"Id\":\"memory_${service//[^A-Za-z0-9_]/_}\",\"Label\":\"MemoryUtilization $service\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/ECS\",\"MetricName\":\"MemoryUtilization\",\"Dimensions\":[{\"Name\":\"ClusterName\",\"Value\":\"$cluster\"},{\"Name\":\"ServiceName\",\"Value\":\"$service\"}]},\"Period\":$period,\"Stat\":\"Average\"}}"
  queries+=",{\"Id\":\"tasks_${service//[^A-Za-z0-9_]/_}\",\"Label\":\"RunningTaskCount $service\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"ECS/ContainerInsights\",\"MetricName\":\"RunningTaskCount\",\"Dimensions\":[{\"Name\":\"ClusterName\",\"Value\":\"$cluster\"},{\"Name\":\"ServiceName\",\"Value\":\"$service\"}]},\"Period\":$period,\"Stat\":\"Average\"}}"
  queries+=",{\"Id\":\"desired_${service//[^A-Za-z0-9_]/_}\",\"Label\":\"DesiredTaskCount $service\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"ECS/ContainerInsights\",\"MetricName\":\"DesiredTaskCount\",\"Dimensions\":[{\"Name\":\"ClusterName\",\"Value\":\"$cluster\"},{\"Name\":\"ServiceName\",\"Value\":\"$service\"}]},\"Period\":$period,\"Stat\":\"Average\"}}"
  if [[ $target_group != None && -n $target_group ]]; then
    load_balancer=$(aws elbv2 describe-target-groups --target-group-arns "$target_group" --output text --query 'TargetGroups[0].LoadBalancerArns[0]')
    queries+=",{\"Id\":\"requests_${service//[^A-Za-z0-9_]/_}\",\"Label\":\"RequestCount $service\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/ApplicationELB\",\"MetricName\":\"RequestCount\",\"Dimensions\":[{\"Name\":\"TargetGroup\",\"Value\":\"${target_group##*:}\"},{\"Name\":\"LoadBalancer\",\"Value\":\"${load_balancer#*:loadbalancer/}\"}]},\"Period\":$period,\"Stat\":\"Sum\"}}"
  fi
  queries+="]"
  run "get-metric-data-$service.json" cloudwatch get-metric-data --start-time "$start" --end-time "$end" --scan-by TimestampAscending --metric-data-queries "$queries"
done
echo "exported to $out/; next: ecsim import $out --out imported/" >&2
