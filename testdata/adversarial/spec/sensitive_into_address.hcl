variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2hunter2"
}

redis "main" {
  address = "127.0.0.1:${var.secret}"
}
