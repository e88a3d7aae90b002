variable "port" {
  default = 6379
}

variable "port" { # ERROR: Duplicate variable declaration
  default = 6380
}

redis "main" {
  address = "127.0.0.1:${var.port}"
}
