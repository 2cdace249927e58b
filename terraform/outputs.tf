output "edge_addresses" {
  description = "Public addresses of the SIP edge: what carriers whitelist."
  value       = aws_eip.edge[*].public_ip
}

output "objects_bucket" {
  value = aws_s3_bucket.objects.bucket
}

output "app_url" {
  value = "https://${aws_lb.app.dns_name}"
}

output "postgres_endpoint" {
  value     = aws_db_instance.postgres.address
  sensitive = true
}
