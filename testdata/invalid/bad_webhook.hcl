redis "main" {
  address = "127.0.0.1:6379"
  alerts {
    webhook = "ftp://127.0.0.1/alerts" # ERROR: Invalid webhook URL
  }
}
