terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  # The secrets the application reads. Values are put in by an operator
  # (docs/RUNBOOK.md, "First deploy"), never by Terraform, so they never reach state.
  app_secrets = {
    openai_api_key      = "OpenAI API key for the research agent"
    cryptopanic_api_key = "CryptoPanic API token for the news collector"
    api_key_pepper      = "HMAC pepper for hashing OMC API keys"
  }
  readable_secret_arns = concat(
    [for s in aws_secretsmanager_secret.app : s.arn],
    var.database_secret_arn == null ? [] : [var.database_secret_arn],
  )
}

locals {
  logs_arn_pattern = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"
  # A key policy, not an IAM policy: "Resource": "*" here means this key only.
  key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Administration stays with the account's IAM policies (the AWS default).
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Encrypted log groups (ECS, VPC flow logs) need the service to use the key.
        Sid       = "CloudWatchLogsEncrypt"
        Effect    = "Allow"
        Principal = { Service = "logs.${data.aws_region.current.name}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = local.logs_arn_pattern } }
      },
      {
        # CloudWatch alarms publish to the encrypted SNS topic.
        Sid       = "CloudWatchAlarmsToEncryptedSns"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: secrets, database, images, logs and alarms"
  enable_key_rotation     = true
  rotation_period_in_days = var.key_rotation_days
  deletion_window_in_days = 30
  policy                  = local.key_policy
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_secretsmanager_secret" "app" {
  for_each                = local.app_secrets
  name                    = "${var.name}/${replace(each.key, "_", "-")}"
  description             = each.value
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = merge(var.tags, { OmcSecret = each.key })
}

# Even an administrator with secretsmanager:* cannot read the values unless listed.
data "aws_iam_policy_document" "only_readers" {
  for_each = aws_secretsmanager_secret.app
  statement {
    sid       = "OnlyTheTaskRoleReads"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalArn"
      values   = concat([var.reader_role_arn], var.break_glass_role_arns)
    }
  }
}

resource "aws_secretsmanager_secret_policy" "app" {
  for_each   = aws_secretsmanager_secret.app
  secret_arn = each.value.arn
  policy     = data.aws_iam_policy_document.only_readers[each.key].json
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadOmcSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = local.readable_secret_arns
  }
  statement {
    sid       = "DecryptThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "read" {
  name        = "${var.name}-read-secrets"
  description = "Read the OMC secrets; attached to the ECS task role only"
  policy      = data.aws_iam_policy_document.read.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "reader" {
  role       = var.reader_role_name
  policy_arn = aws_iam_policy.read.arn
}
