# revrisk deployment: SQS job queue + DLQ, GPU scorer on ECS (EC2 GPU capacity provider),
# queue-depth autoscaling, least-privilege IAM. Checked offline by tools/terraform-check.ts
# against the AWS provider 6.25.0 schema; run `terraform validate` / `plan` where the registry is reachable.

terraform {
  # 1.9+: variable validation may refer to other variables (visibility timeout vs batch time).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      project = "revrisk"
      stack   = var.name
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
