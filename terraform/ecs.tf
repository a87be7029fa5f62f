# ---------------------------------------------------------------------------------------------
# GPU scorer on ECS: an Auto Scaling group of single-GPU g5/g6 instances behind an ECS capacity
# provider with managed scaling. The service's task count follows the queue (autoscaling.tf); the
# capacity provider then adds or removes instances so that every task gets its GPU.
# ---------------------------------------------------------------------------------------------

resource "aws_ecr_repository" "scorer" {
  name                 = "${var.name}/scorer"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "scorer" {
  repository = aws_ecr_repository.scorer.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the 20 most recent images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 20
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "scorer" {
  name              = "/ecs/${var.name}-scorer"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_cluster" "scorer" {
  name = local.cluster_name

  # Container Insights publishes ECS/ContainerInsights RunningTaskCount, the denominator of the
  # backlog-per-task metric math.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# Tasks reach SQS, ECR, CloudWatch Logs, the MediaWiki API and EventGate; nothing connects in.
resource "aws_security_group" "scorer" {
  name        = "${var.name}-scorer"
  description = "revrisk GPU scorer tasks and hosts: egress only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "scorer_all" {
  security_group_id = aws_security_group.scorer.id
  description       = "HTTPS and DNS to AWS APIs, MediaWiki and EventGate"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

data "aws_ssm_parameter" "gpu_ami" {
  name = var.gpu_ami_ssm_parameter
}

resource "aws_launch_template" "gpu" {
  name_prefix            = "${var.name}-gpu-"
  image_id               = data.aws_ssm_parameter.gpu_ami.insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.scorer.id]
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  # IMDSv2 only, one hop: containers cannot borrow the instance role.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = var.root_volume_gib
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >> /etc/ecs/ecs.config <<'EOF'
    ECS_CLUSTER=${local.cluster_name}
    ECS_ENABLE_GPU_SUPPORT=true
    ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
    ECS_CONTAINER_STOP_TIMEOUT=120s
    ECS_ENABLE_SPOT_INSTANCE_DRAINING=true
    EOF
  EOT
  )

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-gpu" }
  }
}

resource "aws_autoscaling_group" "gpu" {
  name_prefix = "${var.name}-gpu-"
  min_size    = 0
  # Room for a rolling deployment at full scale (deployment_maximum_percent = 200): managed scaling
  # only launches what tasks need, so the extra headroom costs nothing while unused.
  max_size                  = var.max_tasks * 2
  vpc_zone_identifier       = var.subnet_ids
  health_check_type         = "EC2"
  health_check_grace_period = 300
  # Managed termination protection: ECS decides which instances may go (none with a running task).
  protect_from_scale_in = true

  launch_template {
    id      = aws_launch_template.gpu.id
    version = "$Latest"
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    # The capacity provider owns the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "gpu" {
  name = "${var.name}-gpu"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.gpu.arn
    managed_termination_protection = "ENABLED"
    managed_draining               = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 100 # no idle spare GPU instances
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = var.max_tasks
      instance_warmup_period    = 300
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "scorer" {
  cluster_name       = aws_ecs_cluster.scorer.name
  capacity_providers = [aws_ecs_capacity_provider.gpu.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.gpu.name
    weight            = 1
    base              = 0
  }
}

resource "aws_ecs_task_definition" "scorer" {
  family                   = "${var.name}-scorer"
  requires_compatibilities = ["EC2"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.task_cpu)
  memory                   = tostring(var.task_memory_mib)
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn

  container_definitions = jsonencode([{
    name      = "scorer"
    image     = local.image
    essential = true
    command   = ["node", "bin/revrisk.ts", "scorer"]
    # One whole GPU per task: ECS places at most one scorer per single-GPU instance.
    resourceRequirements = [{ type = "GPU", value = "1" }]
    portMappings         = [{ containerPort = var.scorer_port, protocol = "tcp" }]
    environment          = [for k, v in local.scorer_environment : { name = k, value = v }]
    healthCheck = {
      command     = ["CMD-SHELL", "node -e \"fetch('http://127.0.0.1:${var.scorer_port}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))\""]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 300 # model load on a cold GPU host
    }
    # Time to finish (or release) the batch in hand after SIGTERM; an init process forwards signals.
    stopTimeout     = 120
    linuxParameters = { initProcessEnabled = true }
    ulimits         = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.scorer.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "scorer"
      }
    }
  }])
}

resource "aws_ecs_service" "scorer" {
  name                               = local.service_name
  cluster                            = aws_ecs_cluster.scorer.id
  task_definition                    = aws_ecs_task_definition.scorer.arn
  desired_count                      = var.min_tasks
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  wait_for_steady_state              = false

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.gpu.name
    weight            = 1
    base              = 0
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.scorer.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    # Application Auto Scaling owns the task count after creation.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_ecs_cluster_capacity_providers.scorer, aws_iam_role_policy.task]
}
