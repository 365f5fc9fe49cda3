variable "name" {
  type        = string
  description = "Repository name; omc-deploy expects omc-<environment>."
  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "name must be a valid ECR repository name (lower case)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the images at rest."
}

variable "keep_tagged_images" {
  type        = number
  description = "How many tagged images to keep (older ones expire)."
  default     = 50
  validation {
    condition     = var.keep_tagged_images >= 5 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 5 and 1000 so rollbacks stay possible."
  }
}

variable "untagged_expiry_days" {
  type        = number
  description = "Days after which untagged images expire."
  default     = 7
  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
