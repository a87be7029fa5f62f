# ---------------------------------------------------------------------------------------------
# Least-privilege IAM
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# Task role: what the scorer process itself may do.
resource "aws_iam_role" "task" {
  name               = "${var.name}-scorer-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid = "ConsumeJobs"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.jobs.arn]
  }
  statement {
    # Poison messages the scorer rejects outright go straight to the DLQ; depth for /metrics.
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "sqs-consume"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# Execution role: what the ECS agent needs to start the task (pull the image, write logs).
resource "aws_iam_role" "execution" {
  name               = "${var.name}-scorer-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }
  statement {
    sid = "PullScorerImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.scorer.arn]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.scorer.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-and-log"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# Instance role for the GPU hosts: the ECS agent (AWS managed policy, the documented minimum for
# container instances) and SSM Session Manager instead of SSH.
data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${var.name}-gpu-instance"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy_attachment" "instance_ecs" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "instance_ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instance" {
  name = "${var.name}-gpu-instance"
  role = aws_iam_role.instance.name
}

# Ingest: the Cloudflare Worker runs outside AWS, so it signs with an access key of a dedicated
# IAM user that may only enqueue into the job queue.
resource "aws_iam_user" "ingest" {
  name = "${var.name}-ingest-worker"
  path = "/revrisk/"
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
    resources = [aws_sqs_queue.jobs.arn]
  }
}

resource "aws_iam_user_policy" "ingest" {
  name   = "sqs-send"
  user   = aws_iam_user.ingest.name
  policy = data.aws_iam_policy_document.ingest.json
}

resource "aws_iam_access_key" "ingest" {
  count = var.create_ingest_access_key ? 1 : 0
  user  = aws_iam_user.ingest.name
}
