variable "redis_password" { # ERROR: No value for required variable
  type      = string
  sensitive = true
}

redis "main" {
  address  = "127.0.0.1:6379"
  password = var.redis_password
}
