variable "region" {
  type        = string
  description = "AWS region of the environment."
  default     = "eu-west-1"
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

# Named explicitly: a data-source lookup can change its answer and move every subnet.
variable "availability_zones" {
  type        = list(string)
  description = "Two availability zones of the region for the subnets."
  default     = ["eu-west-1a", "eu-west-1b"]
  validation {
    condition     = length(var.availability_zones) == 2
    error_message = "Give exactly two availability zones."
  }
}

variable "container_image" {
  type        = string
  description = "Image for the first task definition (e.g. <account>.dkr.ecr.<region>.amazonaws.com/omc-<env>:git-<sha>); later images are rolled out by omc-deploy."
  validation {
    condition     = length(var.container_image) > 0 && !endswith(var.container_image, ":latest")
    error_message = "container_image must be set and must not use :latest."
  }
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate ARN for the HTTPS listener (the API's DNS name)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "alarm_emails" {
  type        = list(string)
  description = "Email addresses that receive alarm notifications."
  default     = []
}

variable "allowed_client_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the API on 443."
  default     = ["0.0.0.0/0"]
}

variable "access_logs_bucket" {
  type        = string
  description = "Existing S3 bucket for ALB access logs, or null for none."
  default     = null
}

variable "break_glass_role_arns" {
  type        = list(string)
  description = "Role ARNs besides the task role that may read secret values (incident access)."
  default     = []
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
