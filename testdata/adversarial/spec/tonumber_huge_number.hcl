redis "main" {
  address = "127.0.0.1:6379"
  db      = tonumber("1e-100000000")
}
