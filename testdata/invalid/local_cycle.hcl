locals {
  a = local.b # ERROR: Cycle in local values
  b = local.a # ERROR: Cycle in local values
}

redis "main" {
  address = "127.0.0.1:6379"
}
