output "queue_url" {
  description = "Job queue URL: SQS_QUEUE_URL of the ingest Worker and the scorer."
  value       = aws_sqs_queue.jobs.url
}

output "queue_arn" {
  description = "Job queue ARN."
  value       = aws_sqs_queue.jobs.arn
}

output "dlq_url" {
  description = "Dead-letter queue URL (inspect; redrive with aws sqs start-message-move-task)."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "Dead-letter queue ARN."
  value       = aws_sqs_queue.dlq.arn
}

output "ecr_repository_url" {
  description = "Push the scorer image here (docker push <url>:<image_tag>)."
  value       = aws_ecr_repository.scorer.repository_url
}

output "cluster_name" {
  description = "ECS cluster of the scorer."
  value       = aws_ecs_cluster.scorer.name
}

output "service_name" {
  description = "ECS service of the scorer."
  value       = aws_ecs_service.scorer.name
}

output "log_group_name" {
  description = "CloudWatch Logs group of the scorer."
  value       = aws_cloudwatch_log_group.scorer.name
}

output "task_role_arn" {
  description = "IAM role the scorer runs as."
  value       = aws_iam_role.task.arn
}

output "target_backlog_per_task" {
  description = "Target value of the scaling policy (messages per running task) = target_lag_seconds x per_task_throughput."
  value       = local.target_backlog_per_task
}

output "region" {
  description = "AWS_REGION for the ingest Worker."
  value       = var.region
}

output "ingest_user_name" {
  description = "IAM user whose access key the ingest Worker signs SQS requests with."
  value       = aws_iam_user.ingest.name
}

output "ingest_access_key_id" {
  description = "AWS_ACCESS_KEY_ID for the ingest Worker (null when create_ingest_access_key = false)."
  value       = var.create_ingest_access_key ? aws_iam_access_key.ingest[0].id : null
}

output "ingest_secret_access_key" {
  description = "AWS_SECRET_ACCESS_KEY for the ingest Worker: terraform output -raw ingest_secret_access_key | wrangler secret put AWS_SECRET_ACCESS_KEY"
  value       = var.create_ingest_access_key ? aws_iam_access_key.ingest[0].secret : null
  sensitive   = true
}
