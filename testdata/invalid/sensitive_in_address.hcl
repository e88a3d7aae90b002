variable "secret" {
  type      = string
  default   = "127.0.0.1:6379"
  sensitive = true
}

redis "main" {
  address = var.secret # ERROR: Sensitive value in a non-sensitive place
}
