output "api_endpoint" {
  description = "DNS name of the load balancer; create the API's DNS record (CNAME or alias) pointing here."
  value       = module.service.alb_dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias record."
  value       = module.service.alb_zone_id
}

output "ecr_repository_url" {
  description = "Where omc-deploy pushes images."
  value       = module.registry.repository_url
}

output "cluster_name" {
  description = "ECS cluster (omc-deploy default: omc-<env>)."
  value       = module.service.cluster_name
}

output "service_name" {
  description = "ECS service (omc-deploy default: omc-<env>)."
  value       = module.service.service_name
}

output "log_group_name" {
  description = "CloudWatch log group of the service."
  value       = module.service.log_group_name
}

output "database_endpoint" {
  description = "Database host:port (private; reachable from the tasks only)."
  value       = "${module.database.address}:${module.database.port}"
}

output "database_instance_identifier" {
  description = "RDS instance identifier, for snapshots and restores."
  value       = module.database.instance_identifier
}

output "database_secret_arn" {
  description = "RDS-managed master credentials secret (rotated by RDS)."
  value       = module.database.master_user_secret_arn
}

output "secret_names" {
  description = "Secrets an operator must fill with put-secret-value before the first deploy."
  value       = module.secrets.secret_names
}

output "alarm_topic_arn" {
  description = "SNS topic all alarms notify."
  value       = module.monitoring.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = module.monitoring.dashboard_name
}

output "private_subnet_ids" {
  description = "Private subnets, for one-off tasks such as `omc migrate`."
  value       = module.network.private_subnet_ids
}

output "service_security_group_id" {
  description = "Security group for one-off tasks such as `omc migrate`."
  value       = module.service.service_security_group_id
}
