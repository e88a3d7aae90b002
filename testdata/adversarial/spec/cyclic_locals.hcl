locals {
  a = local.b
  b = local.c
  c = local.a
}

redis "main" {
  address = "127.0.0.1:${local.a}"
}
