redis "main" {
  address = "127.0.0.1:6379"
  alerts {
    memory_used_percent {
      critical = 120 # ERROR: Value out of range
    }
  }
}
