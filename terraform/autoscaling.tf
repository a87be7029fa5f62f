# ---------------------------------------------------------------------------------------------
# Queue-depth autoscaling: target tracking on backlog per task, computed with metric math.
#
#   m1 = AWS/SQS ApproximateNumberOfMessagesVisible      (waiting)
#   m3 = AWS/SQS ApproximateNumberOfMessagesNotVisible   (in flight, as KEDA's queueLength counts)
#   m2 = ECS/ContainerInsights RunningTaskCount
#   e1 = (m1 + m3) / IF(m2 > 0, m2, 1)                   backlog per running task
#
# target_value = target_lag_seconds x per_task_throughput (local.target_backlog_per_task): AWS's
# "acceptable backlog per task = acceptable latency / processing time per message".
# ---------------------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "scorer" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.scorer.name}/${aws_ecs_service.scorer.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks
}

resource "aws_appautoscaling_policy" "backlog_per_task" {
  name               = "${var.name}-scorer-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.scorer.service_namespace
  resource_id        = aws_appautoscaling_target.scorer.resource_id
  scalable_dimension = aws_appautoscaling_target.scorer.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = local.target_backlog_per_task
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds
    disable_scale_in   = false

    customized_metric_specification {
      metrics {
        id          = "m1"
        label       = "visible messages"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"
            dimensions {
              name  = "QueueName"
              value = aws_sqs_queue.jobs.name
            }
          }
        }
      }

      metrics {
        id          = "m3"
        label       = "in-flight messages"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesNotVisible"
            dimensions {
              name  = "QueueName"
              value = aws_sqs_queue.jobs.name
            }
          }
        }
      }

      metrics {
        id          = "m2"
        label       = "running scorer tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.scorer.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.scorer.name
            }
          }
        }
      }

      metrics {
        id          = "e1"
        label       = "backlog per task"
        expression  = "(m1 + m3) / IF(m2 > 0, m2, 1)"
        return_data = true
      }
    }
  }
}
