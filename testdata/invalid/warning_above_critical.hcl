redis "main" {
  address = "127.0.0.1:6379"
  alerts {
    memory_used_percent {
      warning  = 95 # ERROR: Warning above critical
      critical = 90
    }
  }
}
