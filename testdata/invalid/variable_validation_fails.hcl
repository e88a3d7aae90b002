variable "port" {
  type    = number
  default = 70000
  validation {
    condition     = var.port > 0 && var.port < 65536 # ERROR: Invalid value for variable
    error_message = "The port must be between 1 and 65535."
  }
}

redis "main" {
  address = "127.0.0.1:${var.port}" # ERROR: Invalid address
}
