output "kms_key_arn" {
  description = "ARN of the customer-managed key (secrets, RDS, ECR, logs, SNS)."
  value       = aws_kms_key.this.arn
}

output "secret_arns" {
  description = "Secret ARNs by name (openai_api_key, cryptopanic_api_key, api_key_pepper)."
  value       = { for name, secret in aws_secretsmanager_secret.app : name => secret.arn }
}

output "secret_names" {
  description = "Secret names by name, for `aws secretsmanager put-secret-value`."
  value       = { for name, secret in aws_secretsmanager_secret.app : name => secret.name }
}

output "read_policy_arn" {
  description = "ARN of the IAM policy that grants reading the secrets."
  value       = aws_iam_policy.read.arn
}
