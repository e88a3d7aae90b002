redis "main" {
  address = "127.0.0.1:6379"
  alerts {
    memory_used_percent { # ERROR: Empty threshold
    }
  }
}
