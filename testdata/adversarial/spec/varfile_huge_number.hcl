variable "port" {
  type = string
}

redis "main" {
  address = "127.0.0.1:${var.port}"
}
