variable "region" {
  description = "AWS region of one Fastline deployment."
  type        = string
  default     = "ap-east-1"
}

variable "environment" {
  description = "staging or production: part of every name."
  type        = string
  default     = "staging"
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "vpc_cidr" {
  type    = string
  default = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Two or three zones: every call-path component has a standby in another zone (EDGE-5)."
  type        = list(string)
  default     = ["ap-east-1a", "ap-east-1b"]
}

variable "sip_domain" {
  description = "Tenants' seats register as <ext>@<tenant>.<sip_domain>; SRV records point here."
  type        = string
  default     = "sip.fastline.example"
}

variable "edge_instance_type" {
  description = "Kamailio + rtpengine hosts (public addresses, UDP media)."
  type        = string
  default     = "c6i.xlarge"
}

variable "edge_count" {
  description = "Edge hosts, spread over the zones; each runs Kamailio and rtpengine."
  type        = number
  default     = 2
}

variable "callcontrol_count" {
  description = "callcontrol B2BUA nodes (Kamailio's dispatcher spreads calls over them)."
  type        = number
  default     = 2
}

variable "db_instance_class" {
  type    = string
  default = "db.r6g.large"
}

variable "redis_node_type" {
  type    = string
  default = "cache.r6g.large"
}

variable "rtp_port_range" {
  description = "rtpengine's UDP media ports (its --port-min/--port-max)."
  type        = object({ from = number, to = number })
  default     = { from = 30000, to = 39999 }
}

variable "recording_retention_days" {
  description = "Recordings move to Glacier after 90 days and are deleted after this many (TEN-8)."
  type        = number
  default     = 730
}

variable "app_image" {
  description = "The Fastline container image (app, worker and callcontrol share it)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the portal and API host name (HTTPS only; no plain HTTP listener)."
  type        = string
}
