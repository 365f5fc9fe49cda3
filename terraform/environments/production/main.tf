terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  # Partial configuration: bucket, key, region and lock table come from backend.hcl
  # (see README.md), so no account details live in the code.
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "omc"
      Environment = "production"
      ManagedBy   = "terraform"
    }
  }
}

locals {
  environment = "production"
  # omc-deploy derives cluster, service and repository from this name.
  name = "omc-${local.environment}"
}

module "secrets" {
  source                = "../../modules/secrets"
  name                  = local.name
  reader_role_name      = module.service.task_role_name
  reader_role_arn       = module.service.task_role_arn
  break_glass_role_arns = var.break_glass_role_arns
  database_secret_arn   = module.database.master_user_secret_arn
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cidr_block         = "10.30.0.0/16"
  availability_zones = var.availability_zones
  single_nat_gateway = false
  kms_key_arn        = module.secrets.kms_key_arn
}

module "registry" {
  source      = "../../modules/ecr"
  name        = local.name
  kms_key_arn = module.secrets.kms_key_arn
}

module "database" {
  source                    = "../../modules/rds"
  name                      = local.name
  vpc_id                    = module.network.vpc_id
  private_subnet_ids        = module.network.private_subnet_ids
  client_security_group_ids = [module.service.service_security_group_id]
  kms_key_arn               = module.secrets.kms_key_arn
  instance_class            = "db.m7g.large"
  multi_az                  = true
  deletion_protection       = true
  backup_retention_days     = 30
  allocated_storage_gb      = 100
  max_allocated_storage_gb  = 500
}

module "service" {
  source               = "../../modules/ecs_service"
  name                 = local.name
  environment          = local.environment
  container_image      = var.container_image
  cpu                  = 1024
  memory               = 2048
  min_count            = 2
  max_count            = 10
  vpc_id               = module.network.vpc_id
  vpc_cidr_block       = module.network.vpc_cidr_block
  public_subnet_ids    = module.network.public_subnet_ids
  private_subnet_ids   = module.network.private_subnet_ids
  allowed_client_cidrs = var.allowed_client_cidrs
  certificate_arn      = var.certificate_arn
  access_logs_bucket   = var.access_logs_bucket
  kms_key_arn          = module.secrets.kms_key_arn
  log_level            = var.log_level
  secret_arns          = module.secrets.secret_arns
  database = {
    address    = module.database.address
    port       = module.database.port
    name       = module.database.database_name
    username   = module.database.master_username
    secret_arn = module.database.master_user_secret_arn
  }
}

module "monitoring" {
  source                  = "../../modules/monitoring"
  name                    = local.name
  environment             = local.environment
  alarm_emails            = var.alarm_emails
  kms_key_arn             = module.secrets.kms_key_arn
  cluster_name            = module.service.cluster_name
  service_name            = module.service.service_name
  alb_arn_suffix          = module.service.alb_arn_suffix
  target_group_arn_suffix = module.service.target_group_arn_suffix
  db_instance_identifier  = module.database.instance_identifier
  rds_connections         = 400
}
