variable "name" {
  type        = string
  description = "Instance identifier and name prefix, e.g. omc-production."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "name must be lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC that holds the database."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets in at least two AZs (RDS requires two even for single-AZ)."
  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "Give at least two private subnets."
  }
}

variable "client_security_group_ids" {
  type        = list(string)
  description = "Security groups allowed to connect on 5432 (the ECS service's)."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for storage, Performance Insights and the master-user secret."
}

variable "engine_version" {
  type        = string
  description = "PostgreSQL version; a major version (16) lets RDS pick the latest minor."
  default     = "16"
  validation {
    condition     = can(regex("^16(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 16 (\"16\" or \"16.x\")."
  }
}

variable "instance_class" {
  type        = string
  description = "DB instance class, e.g. db.t4g.medium."
  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must start with db."
  }
}

variable "database_name" {
  type        = string
  description = "Name of the database the service uses."
  default     = "omc"
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lower-case PostgreSQL identifier."
  }
}

variable "master_username" {
  type        = string
  description = "Master user name; the password is generated and kept by Secrets Manager."
  default     = "omc_admin"
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) && var.master_username != "postgres"
    error_message = "master_username must be a lower-case identifier other than postgres."
  }
}

variable "allocated_storage_gb" {
  type        = number
  description = "Initial storage in GiB."
  default     = 20
  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gb" {
  type        = number
  description = "Upper bound for storage autoscaling in GiB."
  default     = 100
  validation {
    condition     = var.max_allocated_storage_gb >= 20
    error_message = "max_allocated_storage_gb must be at least 20."
  }
}

variable "multi_az" {
  type        = bool
  description = "Synchronous standby in a second AZ (production)."
  default     = true
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse DeleteDBInstance until this is turned off."
  default     = true
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups (point-in-time restore window)."
  default     = 14
  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "backup_window" {
  type        = string
  description = "Daily backup window, UTC (hh24:mi-hh24:mi)."
  default     = "02:00-03:00"
  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must look like 02:00-03:00."
  }
}

variable "maintenance_window" {
  type        = string
  description = "Weekly maintenance window, UTC (ddd:hh24:mi-ddd:hh24:mi)."
  default     = "sun:03:30-sun:04:30"
  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like sun:03:30-sun:04:30."
  }
}

variable "slow_query_ms" {
  type        = number
  description = "Log statements slower than this many milliseconds (-1 turns it off)."
  default     = 500
  validation {
    condition     = var.slow_query_ms >= -1
    error_message = "slow_query_ms must be -1 or more."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
