redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 25 * * *" # ERROR: Invalid schedule
    destination = "/var/backups/redis"
  }
}
