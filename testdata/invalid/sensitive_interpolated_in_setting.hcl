variable "token" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}

redis "main" {
  address = "127.0.0.1:6379"
  settings = {
    "proc-title-template" = "redis-${var.token}" # ERROR: Sensitive value in a non-sensitive place
  }
}
