redis "main" {
  address = "127.0.0.1:6379"
  persistence {
    aof {
      enabled = "maybe" # ERROR: Invalid value
    }
  }
}
