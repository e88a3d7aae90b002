redis "main" {
  address = "127.0.0.1:6379"
  alerts {
    schedule = "every 15 minutes" # ERROR: Invalid schedule
  }
}
