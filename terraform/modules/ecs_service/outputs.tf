output "cluster_name" {
  description = "ECS cluster name (omc-deploy --cluster)."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service name (omc-deploy --service)."
  value       = aws_ecs_service.this.name
}

output "task_family" {
  description = "Task-definition family; omc-deploy registers new revisions in it."
  value       = aws_ecs_task_definition.this.family
}

output "task_role_arn" {
  description = "ARN of the task role (the only reader of the secrets)."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role."
  value       = aws_iam_role.task.name
}

output "service_security_group_id" {
  description = "Security group of the tasks (allowed into the database)."
  value       = aws_security_group.service.id
}

output "alb_dns_name" {
  description = "DNS name of the load balancer; point the service's DNS record here."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias record."
  value       = aws_lb.this.zone_id
}

output "alb_arn_suffix" {
  description = "ALB ARN suffix, the LoadBalancer dimension in CloudWatch."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffix" {
  description = "Target-group ARN suffix, the TargetGroup dimension in CloudWatch."
  value       = aws_lb_target_group.grpc.arn_suffix
}

output "log_group_name" {
  description = "CloudWatch log group of the service (JSON logs and EMF metrics)."
  value       = aws_cloudwatch_log_group.service.name
}
