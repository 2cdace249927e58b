# Postgres is the truth (tenants, CDRs, recordings' metadata, audit); Redis the live state.
# Both private, encrypted, with a standby in another zone.

resource "aws_kms_key" "data" {
  description         = "${local.name}: database, cache and recordings at rest"
  enable_key_rotation = true
}

resource "aws_db_subnet_group" "main" {
  name       = local.name
  subnet_ids = [for s in aws_subnet.private : s.id]
}

resource "aws_db_parameter_group" "postgres" {
  name   = "${local.name}-pg15"
  family = "postgres15"
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}

resource "aws_db_instance" "postgres" {
  identifier                  = local.name
  engine                      = "postgres"
  engine_version              = "15"
  instance_class              = var.db_instance_class
  allocated_storage           = 200
  max_allocated_storage       = 2000
  db_name                     = "fastline"
  username                    = "fastline_owner"
  manage_master_user_password = true
  multi_az                    = true
  storage_encrypted           = true
  kms_key_id                  = aws_kms_key.data.arn
  publicly_accessible         = false
  db_subnet_group_name        = aws_db_subnet_group.main.name
  vpc_security_group_ids      = [aws_security_group.data.id]
  parameter_group_name        = aws_db_parameter_group.postgres.name
  backup_retention_period     = 14
  deletion_protection         = var.environment == "production"
  skip_final_snapshot         = var.environment != "production"
  final_snapshot_identifier   = "${local.name}-final"
}

resource "aws_elasticache_subnet_group" "main" {
  name       = local.name
  subnet_ids = [for s in aws_subnet.private : s.id]
}

# One shard with a replica in another zone. Cluster mode (several shards) waits until every key
# of a tenant carries the tenant as a hash tag (app/lib/keys.py), so that one tenant's ACD
# script, which touches many keys, runs on one shard: not done yet (app/seats/README.md).
resource "aws_elasticache_replication_group" "redis" {
  replication_group_id       = local.name
  description                = "Fastline live state: agents, queues, live calls, events"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  kms_key_id                 = aws_kms_key.data.arn
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.data.id]
}
