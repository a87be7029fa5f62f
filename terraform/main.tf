locals {
  # AWS "backlog per task": acceptable backlog per task = acceptable latency x messages/s per task.
  target_backlog_per_task = max(1, var.target_lag_seconds * var.per_task_throughput)

  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  cluster_name = "${var.name}-scorer"
  service_name = "${var.name}-scorer"
  image        = "${aws_ecr_repository.scorer.repository_url}:${var.image_tag}"

  scorer_environment = merge({
    NODE_ENV                    = "production"
    AWS_REGION                  = var.region
    SQS_QUEUE_URL               = aws_sqs_queue.jobs.url
    SQS_DLQ_URL                 = aws_sqs_queue.dlq.url
    REVRISK_VISIBILITY_TIMEOUT  = tostring(var.visibility_timeout_seconds)
    EVENTGATE_URL               = var.eventgate_url
    EVENTGATE_STREAM            = var.eventgate_stream
    PORT                        = tostring(var.scorer_port)
    REVRISK_HOST                = "0.0.0.0"
    REVRISK_PROVIDER            = "cuda"
    REVRISK_MODEL               = var.model_path
    NVIDIA_DRIVER_CAPABILITIES  = "compute,utility"
  }, var.scorer_environment)
}
