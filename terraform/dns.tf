# Phones and carriers find the edge by DNS SRV (RFC 3263): every edge host, equal weight.
resource "aws_route53_zone" "sip" {
  name = var.sip_domain
}

resource "aws_route53_record" "edge_a" {
  count   = var.edge_count
  zone_id = aws_route53_zone.sip.zone_id
  name    = "edge${count.index}.${var.sip_domain}"
  type    = "A"
  ttl     = 300
  records = [aws_eip.edge[count.index].public_ip]
}

resource "aws_route53_record" "sip_udp" {
  zone_id = aws_route53_zone.sip.zone_id
  name    = "_sip._udp.${var.sip_domain}"
  type    = "SRV"
  ttl     = 300
  records = [for i in range(var.edge_count) : "10 50 5060 edge${i}.${var.sip_domain}"]
}

resource "aws_route53_record" "sip_tcp" {
  zone_id = aws_route53_zone.sip.zone_id
  name    = "_sip._tcp.${var.sip_domain}"
  type    = "SRV"
  ttl     = 300
  records = [for i in range(var.edge_count) : "10 50 5060 edge${i}.${var.sip_domain}"]
}

resource "aws_route53_record" "sips_tcp" {
  zone_id = aws_route53_zone.sip.zone_id
  name    = "_sips._tcp.${var.sip_domain}"
  type    = "SRV"
  ttl     = 300
  records = [for i in range(var.edge_count) : "10 50 5061 edge${i}.${var.sip_domain}"]
}
