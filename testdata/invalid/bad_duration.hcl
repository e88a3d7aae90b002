redis "main" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    retention {
      max_age = "30 days" # ERROR: Invalid duration
    }
  }
}
