# Where the processes of ARCHITECTURE.md run:
# - edge hosts (Kamailio + rtpengine): EC2 with Elastic IPs in public subnets, one per zone at
#   least: carriers whitelist these addresses, and rtpengine needs a wide UDP range on the host;
# - callcontrol: EC2 in private subnets (host networking for the mixer's RTP ports);
# - app and workers: ECS Fargate behind an HTTPS load balancer.

data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"] # Debian
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${local.name}-node"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy_attachment" "node_objects" {
  role       = aws_iam_role.node.name
  policy_arn = aws_iam_policy.objects_rw.arn
}

resource "aws_iam_role_policy_attachment" "node_ssm" {
  role       = aws_iam_role.node.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" # no SSH keys anywhere
}

resource "aws_iam_instance_profile" "node" {
  name = "${local.name}-node"
  role = aws_iam_role.node.name
}

resource "aws_instance" "edge" {
  count                  = var.edge_count
  ami                    = data.aws_ami.debian.id
  instance_type          = var.edge_instance_type
  subnet_id              = values(aws_subnet.public)[count.index % length(var.availability_zones)].id
  vpc_security_group_ids = [aws_security_group.edge.id]
  iam_instance_profile   = aws_iam_instance_profile.node.name
  metadata_options {
    http_tokens = "required"
  }
  root_block_device {
    encrypted = true
  }
  user_data = templatefile("${path.module}/edge-user-data.sh.tftpl", {
    sip_domain   = var.sip_domain
    rtp_port_min = var.rtp_port_range.from
    rtp_port_max = var.rtp_port_range.to
    callcontrol  = join(",", [for node in aws_instance.callcontrol : "${node.private_ip}:5070"])
  })
  tags = { Name = "${local.name}-edge-${count.index}" }
}

resource "aws_eip" "edge" {
  count    = var.edge_count
  domain   = "vpc"
  instance = aws_instance.edge[count.index].id
}

resource "aws_instance" "callcontrol" {
  count                  = var.callcontrol_count
  ami                    = data.aws_ami.debian.id
  instance_type          = "c6i.large"
  subnet_id              = values(aws_subnet.private)[count.index % length(var.availability_zones)].id
  vpc_security_group_ids = [aws_security_group.callcontrol.id]
  iam_instance_profile   = aws_iam_instance_profile.node.name
  metadata_options {
    http_tokens = "required"
  }
  root_block_device {
    encrypted = true
  }
  tags = { Name = "${local.name}-callcontrol-${count.index}" }
}

# ---- app and workers

resource "aws_ecs_cluster" "main" {
  name = local.name
}

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy_attachment" "task_objects" {
  role       = aws_iam_role.task.name
  policy_arn = aws_iam_policy.objects_rw.arn
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

locals {
  app_environment = [
    { name = "FASTLINE_STORAGE_URL", value = "s3://${aws_s3_bucket.objects.bucket}" },
    { name = "FASTLINE_S3_REGION", value = var.region },
    { name = "FASTLINE_S3_KMS_KEY_ID", value = aws_kms_key.data.arn },
    { name = "FASTLINE_COOKIE_SECURE", value = "1" },
    { name = "FASTLINE_SIP_DOMAIN_SUFFIX", value = var.sip_domain },
    { name = "FASTLINE_REDIS_URL", value = "rediss://${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379/0" },
  ]
  services = {
    app    = { command = ["fastline", "serve"], cpu = 1024, memory = 2048, count = 2 }
    worker = { command = ["fastline", "worker"], cpu = 1024, memory = 2048, count = 2 }
  }
}

resource "aws_ecs_task_definition" "service" {
  for_each                 = local.services
  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions = jsonencode([{
    name         = each.key
    image        = var.app_image
    command      = each.value.command
    essential    = true
    environment  = local.app_environment
    portMappings = each.key == "app" ? [{ containerPort = 8000 }] : []
  }])
}

resource "aws_ecs_service" "service" {
  for_each        = local.services
  name            = each.key
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.service[each.key].arn
  desired_count   = each.value.count
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = [for s in aws_subnet.private : s.id]
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }
  dynamic "load_balancer" {
    for_each = each.key == "app" ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.app.arn
      container_name   = "app"
      container_port   = 8000
    }
  }
}

resource "aws_lb" "app" {
  name                       = local.name
  load_balancer_type         = "application"
  subnets                    = [for s in aws_subnet.public : s.id]
  security_groups            = [aws_security_group.lb.id]
  drop_invalid_header_fields = true
}

resource "aws_lb_target_group" "app" {
  name        = "${local.name}-app"
  port        = 8000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.main.id
  health_check {
    path = "/ready"
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.app.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}
