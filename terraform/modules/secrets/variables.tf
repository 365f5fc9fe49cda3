variable "name" {
  type        = string
  description = "Name prefix, e.g. omc-production; secrets are named <name>/<secret>."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "reader_role_name" {
  type        = string
  description = "Name of the IAM role (the ECS task role) that may read the secrets."
}

variable "reader_role_arn" {
  type        = string
  description = "ARN of the same role; every other principal is denied GetSecretValue."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.reader_role_arn))
    error_message = "reader_role_arn must be an IAM role ARN."
  }
}

variable "break_glass_role_arns" {
  type        = list(string)
  description = "Extra role ARNs allowed to read secret values (incident access); keep empty normally."
  default     = []
}

variable "database_secret_arn" {
  type        = string
  description = "ARN of the RDS-managed master-user secret, added to what the reader may read."
  default     = null
}

variable "key_rotation_days" {
  type        = number
  description = "How often KMS rotates the key material."
  default     = 365
  validation {
    condition     = var.key_rotation_days >= 90 && var.key_rotation_days <= 2560
    error_message = "key_rotation_days must be between 90 and 2560."
  }
}

variable "recovery_window_days" {
  type        = number
  description = "Days a deleted secret can still be restored."
  default     = 30
  validation {
    condition     = var.recovery_window_days >= 7 && var.recovery_window_days <= 30
    error_message = "recovery_window_days must be between 7 and 30."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
