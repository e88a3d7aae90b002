resource "redis" "main" { # ERROR: Unsupported block type
  address = "127.0.0.1:6379"
}
