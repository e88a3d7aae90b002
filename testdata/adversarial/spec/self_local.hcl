locals {
  port = local.port + 1
}

redis "main" {
  address = "127.0.0.1:${local.port}"
}
