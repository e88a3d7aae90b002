redis "main" {
  address = "127.0.0.1:6379"
  db      = "zero" # ERROR: Incorrect attribute value type
}
