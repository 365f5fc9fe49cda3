variable "name" {
  type        = string
  description = "Name of the cluster, service, task family and ALB, e.g. omc-production (omc-deploy expects omc-<environment>)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,25}$", var.name))
    error_message = "name must be 2-26 lower-case letters, digits or hyphens (ALB and target-group names are short)."
  }
}

variable "environment" {
  type        = string
  description = "Environment name, written into metrics as the Environment dimension."
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "container_image" {
  type        = string
  description = "Image for the first task definition; later images are rolled out by omc-deploy."
  validation {
    condition     = length(var.container_image) > 0 && !endswith(var.container_image, ":latest")
    error_message = "container_image must be set and must not use the mutable :latest tag."
  }
}

variable "cpu" {
  type        = number
  description = "Task CPU units (Fargate sizes: 256, 512, 1024, 2048, 4096, ...)."
  default     = 512
  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate CPU size."
  }
}

variable "memory" {
  type        = number
  description = "Task memory in MiB, valid for the chosen cpu."
  default     = 1024
  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory must be between 512 and 122880 MiB."
  }
}

variable "cpu_architecture" {
  type        = string
  description = "X86_64 or ARM64; must match the image's platform."
  default     = "X86_64"
  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "min_count" {
  type        = number
  description = "Fewest running tasks (also the initial desired count)."
  default     = 2
  validation {
    condition     = var.min_count >= 1
    error_message = "min_count must be at least 1."
  }
}

variable "max_count" {
  type        = number
  description = "Most running tasks autoscaling may start."
  default     = 6
  validation {
    condition     = var.max_count >= 1 && var.max_count <= 100
    error_message = "max_count must be between 1 and 100."
  }
}

variable "cpu_target_percent" {
  type        = number
  description = "Average CPU utilisation autoscaling aims for."
  default     = 60
  validation {
    condition     = var.cpu_target_percent > 10 && var.cpu_target_percent < 95
    error_message = "cpu_target_percent must be between 10 and 95."
  }
}

variable "requests_per_target" {
  type        = number
  description = "ALB requests per task per minute autoscaling aims for."
  default     = 3000
  validation {
    condition     = var.requests_per_target > 0
    error_message = "requests_per_target must be positive."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the service."
}

variable "vpc_cidr_block" {
  type        = string
  description = "CIDR of the VPC; tasks may reach PostgreSQL inside it."
  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a CIDR."
  }
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets for the ALB (two or more AZs)."
  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An ALB needs subnets in at least two AZs."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets for the tasks."
  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "Give at least one private subnet."
  }
}

variable "allowed_client_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs that may reach the HTTPS listener; 0.0.0.0/0 for a public API."
  default     = ["0.0.0.0/0"]
  validation {
    condition     = alltrue([for c in var.allowed_client_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry must be an IPv4 CIDR."
  }
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate for the HTTPS listener (in the same region)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS policy of the HTTPS listener."
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "idle_timeout_seconds" {
  type        = number
  description = "ALB idle timeout; long enough for server-streaming RPCs between messages."
  default     = 300
  validation {
    condition     = var.idle_timeout_seconds >= 1 && var.idle_timeout_seconds <= 4000
    error_message = "idle_timeout_seconds must be between 1 and 4000."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the ALB from deletion."
  default     = true
}

variable "access_logs_bucket" {
  type        = string
  description = "Existing S3 bucket for ALB access logs (null: no access logs)."
  default     = null
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the log group and for pulling KMS-encrypted images."
}

variable "log_retention_days" {
  type        = number
  description = "Days to keep the service's logs."
  default     = 365
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts."
  }
}

variable "log_level" {
  type        = string
  description = "OMC_LOG_LEVEL of the service."
  default     = "info"
  validation {
    condition     = contains(["debug", "info", "warning", "error", "critical"], var.log_level)
    error_message = "log_level must be debug, info, warning, error or critical."
  }
}

variable "read_only_root_filesystem" {
  type        = bool
  description = "Run the container with a read-only root filesystem (writable /tmp only)."
  default     = true
}

variable "database" {
  type = object({
    address    = string
    port       = number
    name       = string
    username   = string
    secret_arn = string
  })
  description = "Where the database is and the ARN of the RDS-managed secret with its password."
}

variable "secret_arns" {
  type        = map(string)
  description = "Secret ARNs by name: openai_api_key, cryptopanic_api_key, api_key_pepper."
  validation {
    condition     = alltrue([for k in ["openai_api_key", "cryptopanic_api_key", "api_key_pepper"] : contains(keys(var.secret_arns), k)])
    error_message = "secret_arns must contain openai_api_key, cryptopanic_api_key and api_key_pepper."
  }
}

variable "extra_environment" {
  type        = map(string)
  description = "More OMC_* settings for the container (never secrets: use Secrets Manager)."
  default     = {}
  validation {
    condition     = alltrue([for k in keys(var.extra_environment) : can(regex("^OMC_", k)) && !can(regex("(PASSWORD|SECRET|TOKEN|PEPPER|API_KEY)", k))])
    error_message = "extra_environment keys must start with OMC_ and must not name a secret."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
