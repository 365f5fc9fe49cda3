terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

data "aws_region" "current" {}

locals {
  # Names the service writes in EMF (src/omc/adapters/aws/metrics_emf.py);
  # tests/infra/test_metric_names.py keeps the two in step.
  omc_namespace   = "OMC"
  omc_metric_rpcs = ["RpcCount", "RpcErrors"]
  omc_metric_jobs = ["CollectorRuns", "CollectorFailures", "RecordsInserted", "AgentSessions", "AgentFailures"]

  ecs_dimensions = { ClusterName = var.cluster_name, ServiceName = var.service_name }
  alb_dimensions = { LoadBalancer = var.alb_arn_suffix }
  tg_dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  rds_dimensions = { DBInstanceIdentifier = var.db_instance_identifier }
  omc_dimensions = { Environment = var.environment }
  actions        = [aws_sns_topic.alarms.arn]
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Service (ECS).

resource "aws_cloudwatch_metric_alarm" "ecs_cpu_high" {
  alarm_name          = "${var.name}-ecs-cpu-high"
  alarm_description   = "Service CPU above ${var.ecs_cpu_percent}% for 15 minutes: autoscaling is at its limit or a task is spinning. RUNBOOK: ecs-cpu-high"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.ecs_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.ecs_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "ecs_memory_high" {
  alarm_name          = "${var.name}-ecs-memory-high"
  alarm_description   = "Service memory above ${var.ecs_memory_percent}% for 15 minutes: tasks risk OOM kills. RUNBOOK: ecs-memory-high"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = local.ecs_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.ecs_memory_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# --- Load balancer.

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.name}-alb-5xx"
  alarm_description   = "More than ${var.alb_5xx_count} HTTP 5xx (ALB or targets) in 5 minutes in 2 of 3 periods. RUNBOOK: alb-5xx"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.alb_5xx_count
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags

  metric_query {
    id          = "errors"
    expression  = "FILL(elb, 0) + FILL(targets, 0)"
    label       = "5xx responses"
    return_data = true
  }
  metric_query {
    id = "elb"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = 300
    }
  }
  metric_query {
    id = "targets"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${var.name}-unhealthy-hosts"
  alarm_description   = "A task fails the gRPC health check for 3 minutes. RUNBOOK: unhealthy-hosts"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.tg_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency_p99" {
  alarm_name          = "${var.name}-latency-p99"
  alarm_description   = "p99 target response time above ${var.p99_latency_seconds}s for 15 minutes. RUNBOOK: latency-p99"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.tg_dimensions
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.p99_latency_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# --- Database.

resource "aws_cloudwatch_metric_alarm" "rds_cpu_high" {
  alarm_name          = "${var.name}-rds-cpu-high"
  alarm_description   = "Database CPU above ${var.rds_cpu_percent}% for 15 minutes. RUNBOOK: rds-cpu-high"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = local.rds_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.rds_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "rds_free_storage_low" {
  alarm_name          = "${var.name}-rds-free-storage-low"
  alarm_description   = "Less than ${var.rds_free_storage_gb} GiB free on the database. RUNBOOK: rds-free-storage-low"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = local.rds_dimensions
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.rds_free_storage_gb * 1073741824
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "rds_connections_high" {
  alarm_name          = "${var.name}-rds-connections-high"
  alarm_description   = "More than ${var.rds_connections} database connections for 10 minutes: pools are too big for the instance or connections leak. RUNBOOK: rds-connections-high"
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = local.rds_dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.rds_connections
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# --- OMC's own metrics (EMF). Missing data means the code path did not run, which
# is not an alarm by itself; the health and 5xx alarms cover a dead service.

resource "aws_cloudwatch_metric_alarm" "collector_failures" {
  alarm_name          = "${var.name}-collector-failures"
  alarm_description   = "Collector runs failed ${var.collector_failures} or more times in 15 minutes: an upstream API or its key is failing. RUNBOOK: collector-failures"
  namespace           = "OMC"
  metric_name         = "CollectorFailures"
  dimensions          = local.omc_dimensions
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = var.collector_failures
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "quality_score_low" {
  # Minimum over the Environment-only dimension set is the worst ledger's score.
  alarm_name          = "${var.name}-quality-score-low"
  alarm_description   = "A ledger's data-quality score is below ${var.quality_score_min} for 30 minutes. RUNBOOK: quality-score-low"
  namespace           = "OMC"
  metric_name         = "QualityScore"
  dimensions          = local.omc_dimensions
  statistic           = "Minimum"
  period              = 900
  evaluation_periods  = 2
  threshold           = var.quality_score_min
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "agent_failures" {
  alarm_name          = "${var.name}-agent-failures"
  alarm_description   = "${var.agent_failures} or more agent sessions failed in 15 minutes (model API, key or graph errors). RUNBOOK: agent-failures"
  namespace           = "OMC"
  metric_name         = "AgentFailures"
  dimensions          = local.omc_dimensions
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = var.agent_failures
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# gRPC errors travel as HTTP 200 + a status trailer, so the ALB 5xx alarm cannot see them.
resource "aws_cloudwatch_metric_alarm" "rpc_errors" {
  alarm_name          = "${var.name}-rpc-errors"
  alarm_description   = "${var.rpc_errors} or more RPCs ended INTERNAL/UNAVAILABLE/UNKNOWN/... in 5 minutes, 2 periods of 3. RUNBOOK: rpc-errors"
  namespace           = "OMC"
  metric_name         = "RpcErrors"
  dimensions          = local.omc_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.rpc_errors
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# --- Dashboard.

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 8, height = 6
        properties = {
          title = "Service CPU / memory (%)", region = data.aws_region.current.name, stat = "Average", period = 60
          metrics = [
            ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name],
            ["AWS/ECS", "MemoryUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name],
          ]
        }
      },
      {
        type = "metric", x = 8, y = 0, width = 8, height = 6
        properties = {
          title = "ALB requests and 5xx", region = data.aws_region.current.name, stat = "Sum", period = 60
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
          ]
        }
      },
      {
        type = "metric", x = 16, y = 0, width = 8, height = 6
        properties = {
          title = "ALB latency (s) and healthy hosts", region = data.aws_region.current.name, period = 60
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "p50" }],
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "p99" }],
            ["AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "Minimum", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 8, height = 6
        properties = {
          title = "RDS CPU (%) and connections", region = data.aws_region.current.name, period = 60
          metrics = [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.db_instance_identifier, { stat = "Average" }],
            ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.db_instance_identifier, { stat = "Maximum", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 8, y = 6, width = 8, height = 6
        properties = {
          title = "RDS free storage (bytes)", region = data.aws_region.current.name, stat = "Minimum", period = 300
          metrics = [
            ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", var.db_instance_identifier],
          ]
        }
      },
      {
        type = "metric", x = 16, y = 6, width = 8, height = 6
        properties = {
          title = "OMC RPCs, server errors and latency", region = data.aws_region.current.name, period = 60
          metrics = concat(
            [for m in local.omc_metric_rpcs : [local.omc_namespace, m, "Environment", var.environment, { stat = "Sum" }]],
            [[local.omc_namespace, "RpcLatency", "Environment", var.environment, { stat = "p99", yAxis = "right" }]],
          )
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title = "OMC collectors and agent", region = data.aws_region.current.name, stat = "Sum", period = 300
          metrics = [for m in local.omc_metric_jobs : [local.omc_namespace, m, "Environment", var.environment]]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title = "OMC data quality (worst ledger)", region = data.aws_region.current.name, stat = "Minimum", period = 900
          metrics = [[local.omc_namespace, "QualityScore", "Environment", var.environment]]
          annotations = {
            horizontal = [{ label = "alarm", value = var.quality_score_min }]
          }
          yAxis = { left = { min = 0, max = 1 } }
        }
      },
    ]
  })
}
