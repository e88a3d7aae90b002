redis "main" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    from        = "secondary" # ERROR: Invalid value
  }
}
