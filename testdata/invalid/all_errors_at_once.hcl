redis "main" {
  address = "127.0.0.1:6379"
  memory {
    max    = "lots" # ERROR: Invalid value
    policy = "sometimes" # ERROR: Invalid value
  }
  backup {
    schedule    = "daily at 3" # ERROR: Invalid schedule
    destination = "/var/backups/redis"
  }
}
