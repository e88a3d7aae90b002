redis "main" {
  address  = null
  for_each = null
  memory {
    max = null
  }
}
