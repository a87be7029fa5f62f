# ---------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------

variable "region" {
  type        = string
  description = "AWS region for every resource (e.g. us-east-1)."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must look like an AWS region name, e.g. us-east-1."
  }
}

variable "name" {
  type        = string
  description = "Name prefix for all resources (queue, cluster, roles)."
  default     = "revrisk"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags applied to every resource (through the provider's default_tags)."
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------

variable "vpc_id" {
  type        = string
  description = "VPC for the GPU instances and scorer tasks."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-…)."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets (with a NAT gateway or VPC endpoints for SQS, ECR, CloudWatch Logs) for instances and tasks. Use several AZs: GPU capacity is often short in one."

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must be a non-empty list of subnet ids (subnet-…)."
  }
}

# ---------------------------------------------------------------------------------------------
# Queue
# ---------------------------------------------------------------------------------------------

variable "scorer_batch_seconds" {
  type        = number
  description = "Longest time the scorer may hold one received batch (fetch texts, featurize, run the model, publish to EventGate, delete). The queue's visibility timeout must exceed it."
  default     = 60

  validation {
    condition     = var.scorer_batch_seconds > 0 && var.scorer_batch_seconds <= 3600
    error_message = "scorer_batch_seconds must be in (0, 3600]."
  }
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "Queue visibility timeout. Must be at least twice scorer_batch_seconds so a slow batch is not redelivered while it is still being processed."
  default     = 180

  validation {
    condition     = var.visibility_timeout_seconds >= 2 * var.scorer_batch_seconds && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be >= 2 x scorer_batch_seconds and <= 43200 (12 h, the SQS maximum)."
  }
}

variable "max_receive_count" {
  type        = number
  description = "Deliveries before a message moves to the dead-letter queue."
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "max_message_size_bytes" {
  type        = number
  description = "SQS MaximumMessageSize. One page_change event is a few KiB; 256 KiB caps abuse (the SQS maximum is 1 MiB)."
  default     = 262144

  validation {
    condition     = var.max_message_size_bytes >= 1024 && var.max_message_size_bytes <= 1048576
    error_message = "max_message_size_bytes must be between 1024 and 1048576."
  }
}

variable "message_retention_seconds" {
  type        = number
  description = "How long unprocessed messages stay in the main queue (a backfill must finish within it)."
  default     = 345600 # 4 days

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "oldest_message_alarm_seconds" {
  type        = number
  description = "Alarm when the oldest message in the main queue is older than this (the scorer is not keeping up). A deliberate backfill will trip it; the alarm says so."
  default     = 900

  validation {
    condition     = var.oldest_message_alarm_seconds >= 60
    error_message = "oldest_message_alarm_seconds must be at least 60."
  }
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs (e.g. an SNS topic) notified by the DLQ and queue-age alarms. Empty: alarms only show in CloudWatch."
  default     = []
}

# ---------------------------------------------------------------------------------------------
# GPU capacity and the scorer service
# ---------------------------------------------------------------------------------------------

variable "instance_type" {
  type        = string
  description = "GPU instance type for scorer hosts: one NVIDIA GPU each (g6.xlarge: L4 24 GB; g5.xlarge: A10G 24 GB; g6e.xlarge: L40S 48 GB). One scorer task per instance."
  default     = "g6.xlarge"

  validation {
    condition     = can(regex("^(g5|g6|g6e)\\.(xlarge|2xlarge|4xlarge|8xlarge|16xlarge)$", var.instance_type))
    error_message = "instance_type must be a single-GPU g5, g6 or g6e size (xlarge … 16xlarge)."
  }
}

variable "gpu_ami_ssm_parameter" {
  type        = string
  description = "SSM parameter holding the ECS GPU-optimized AMI id. CUDA 13 images need an NVIDIA driver >= 580 on the host: check the AMI's driver version before rolling out."
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
}

variable "root_volume_gib" {
  type        = number
  description = "Root EBS volume of each GPU instance; holds the (multi-GB) CUDA image layers."
  default     = 100

  validation {
    condition     = var.root_volume_gib >= 50
    error_message = "root_volume_gib must be at least 50 (CUDA images are large)."
  }
}

variable "image_tag" {
  type        = string
  description = "Tag of the scorer image in the ECR repository this stack creates (built from functions/scorer/Dockerfile). The repository is immutable: use a version or git SHA, never a moving tag."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid image tag other than \"latest\" (the ECR repository is immutable)."
  }
}

variable "task_cpu" {
  type        = number
  description = "CPU units reserved for one scorer task (1024 = 1 vCPU). Leave headroom for the ECS agent."
  default     = 3584
}

variable "task_memory_mib" {
  type        = number
  description = "Memory (MiB) reserved for one scorer task. g6.xlarge has 16 GiB."
  default     = 14336
}

variable "scorer_port" {
  type        = number
  description = "Port of the scorer's HTTP server (/healthz, /metrics)."
  default     = 8080
}

variable "eventgate_url" {
  type        = string
  description = "EventGate endpoint the scorer POSTs prediction events to (…/v1/events)."

  validation {
    condition     = can(regex("^https?://", var.eventgate_url))
    error_message = "eventgate_url must be an http(s) URL."
  }
}

variable "eventgate_stream" {
  type        = string
  description = "meta.stream of the prediction events."
  default     = "mediawiki.page_revert_risk_multilingual_prediction_change.v1"
}

variable "model_path" {
  type        = string
  description = "Model bundle directory inside the scorer image (manifest.json, encoders, classifier), e.g. one written by models/convert."
  default     = "/app/models/revertrisk-multilingual"
}

variable "scorer_environment" {
  type        = map(string)
  description = "Extra environment variables for the scorer container (merged over the defaults this stack sets)."
  default     = {}
}

variable "log_retention_days" {
  type        = number
  description = "CloudWatch Logs retention for the scorer."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …)."
  }
}

# ---------------------------------------------------------------------------------------------
# Autoscaling (see docs/deploy.md: target = target lag x measured per-task throughput)
# ---------------------------------------------------------------------------------------------

variable "min_tasks" {
  type        = number
  description = "Minimum scorer tasks. 1 keeps a warm GPU worker for the live edit stream (GPU cold starts take minutes). 0 allows scale to zero, but target tracking then starts a task only once the backlog exceeds the whole per-task target (see docs/deploy.md)."
  default     = 1

  validation {
    condition     = var.min_tasks >= 0
    error_message = "min_tasks must be >= 0."
  }
}

variable "max_tasks" {
  type        = number
  description = "Maximum scorer tasks (= GPU instances; bounded by the account's G-instance vCPU quota)."
  default     = 20

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks >= var.min_tasks
    error_message = "max_tasks must be >= 1 and >= min_tasks."
  }
}

variable "target_lag_seconds" {
  type        = number
  description = "Acceptable queueing lag in seconds: the first factor of the backlog-per-task target."
  default     = 60

  validation {
    condition     = var.target_lag_seconds > 0
    error_message = "target_lag_seconds must be > 0."
  }
}

variable "per_task_throughput" {
  type        = number
  description = "Measured messages per second one scorer task processes when busy (from the scorer's own metrics or `npm run bench`). The second factor of the backlog-per-task target."
  default     = 400

  validation {
    condition     = var.per_task_throughput > 0
    error_message = "per_task_throughput must be > 0."
  }
}

variable "scale_in_cooldown_seconds" {
  type        = number
  description = "Target tracking scale-in cooldown."
  default     = 300

  validation {
    condition     = var.scale_in_cooldown_seconds >= 0
    error_message = "scale_in_cooldown_seconds must be >= 0."
  }
}

variable "scale_out_cooldown_seconds" {
  type        = number
  description = "Target tracking scale-out cooldown. Set it near the time a new task needs to start serving (instance launch + image + model load), or the policy adds tasks again for a backlog that starting tasks will take."
  default     = 180

  validation {
    condition     = var.scale_out_cooldown_seconds >= 0
    error_message = "scale_out_cooldown_seconds must be >= 0."
  }
}

# ---------------------------------------------------------------------------------------------
# Ingest (Cloudflare Worker) credentials
# ---------------------------------------------------------------------------------------------

variable "create_ingest_access_key" {
  type        = bool
  description = "Create an access key for the ingest IAM user. The secret lands in the Terraform state (encrypt and restrict the state backend) and in the sensitive output ingest_secret_access_key. Set false to create the key out of band (aws iam create-access-key)."
  default     = true
}
