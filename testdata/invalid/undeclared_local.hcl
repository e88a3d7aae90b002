locals {
  port = local.base_port # ERROR: Reference to undeclared local value
}

redis "main" {
  address = "127.0.0.1:6379"
}
