# Fastline on AWS: what "many machines" in ARCHITECTURE.md means, as code.
# Not applied from this repository's CI (no cloud account there); `terraform fmt -check` and the
# tests in tests/unit/terraform/ check its shape and its security invariants.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project     = "fastline"
      environment = var.environment
    }
  }
}
