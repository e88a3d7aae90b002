variable "port" {
  type    = string
  default = 1e100000000
}

redis "main" {
  address = "127.0.0.1:${var.port}"
}
