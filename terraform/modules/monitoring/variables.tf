variable "name" {
  type        = string
  description = "Name prefix for the topic, alarms and dashboard, e.g. omc-production."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  type        = string
  description = "Environment; the Environment dimension of OMC's own metrics."
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "alarm_emails" {
  type        = list(string)
  description = "Addresses subscribed to the alarm topic (each must confirm by email)."
  default     = []
  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Every alarm_emails entry must be an email address."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the SNS topic (its policy must let CloudWatch use it)."
}

variable "cluster_name" {
  type        = string
  description = "ECS cluster name (ClusterName dimension)."
}

variable "service_name" {
  type        = string
  description = "ECS service name (ServiceName dimension)."
}

variable "alb_arn_suffix" {
  type        = string
  description = "ALB ARN suffix (LoadBalancer dimension)."
}

variable "target_group_arn_suffix" {
  type        = string
  description = "Target-group ARN suffix (TargetGroup dimension)."
}

variable "db_instance_identifier" {
  type        = string
  description = "RDS instance identifier (DBInstanceIdentifier dimension)."
}

variable "ecs_cpu_percent" {
  type        = number
  description = "ECS service CPU alarm threshold, percent."
  default     = 85
  validation {
    condition     = var.ecs_cpu_percent > 0 && var.ecs_cpu_percent <= 100
    error_message = "ecs_cpu_percent must be in (0, 100]."
  }
}

variable "ecs_memory_percent" {
  type        = number
  description = "ECS service memory alarm threshold, percent."
  default     = 85
  validation {
    condition     = var.ecs_memory_percent > 0 && var.ecs_memory_percent <= 100
    error_message = "ecs_memory_percent must be in (0, 100]."
  }
}

variable "alb_5xx_count" {
  type        = number
  description = "HTTP 5xx responses per 5 minutes above which the ALB alarm fires."
  default     = 10
  validation {
    condition     = var.alb_5xx_count >= 0
    error_message = "alb_5xx_count must not be negative."
  }
}

variable "p99_latency_seconds" {
  type        = number
  description = "p99 target response time threshold, seconds."
  default     = 1
  validation {
    condition     = var.p99_latency_seconds > 0
    error_message = "p99_latency_seconds must be positive."
  }
}

variable "rds_cpu_percent" {
  type        = number
  description = "Database CPU alarm threshold, percent."
  default     = 80
  validation {
    condition     = var.rds_cpu_percent > 0 && var.rds_cpu_percent <= 100
    error_message = "rds_cpu_percent must be in (0, 100]."
  }
}

variable "rds_free_storage_gb" {
  type        = number
  description = "Alarm when free database storage falls below this many GiB."
  default     = 5
  validation {
    condition     = var.rds_free_storage_gb > 0
    error_message = "rds_free_storage_gb must be positive."
  }
}

variable "rds_connections" {
  type        = number
  description = "Alarm above this many database connections (size it to the instance's max_connections)."
  default     = 150
  validation {
    condition     = var.rds_connections > 0
    error_message = "rds_connections must be positive."
  }
}

variable "collector_failures" {
  type        = number
  description = "Failed collector runs per 15 minutes that raise the alarm."
  default     = 3
  validation {
    condition     = var.collector_failures >= 1
    error_message = "collector_failures must be at least 1."
  }
}

variable "quality_score_min" {
  type        = number
  description = "Alarm when the worst ledger's quality score is below this (0-1)."
  default     = 0.7
  validation {
    condition     = var.quality_score_min > 0 && var.quality_score_min <= 1
    error_message = "quality_score_min must be in (0, 1]."
  }
}

variable "agent_failures" {
  type        = number
  description = "Failed agent sessions per 15 minutes that raise the alarm."
  default     = 3
  validation {
    condition     = var.agent_failures >= 1
    error_message = "agent_failures must be at least 1."
  }
}

variable "rpc_errors" {
  type        = number
  description = "Server-side RPC errors per 5 minutes that raise the alarm."
  default     = 5
  validation {
    condition     = var.rpc_errors >= 1
    error_message = "rpc_errors must be at least 1."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
