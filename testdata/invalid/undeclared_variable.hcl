redis "main" {
  address = var.address # ERROR: Unsupported attribute
}
