redis "main" {
  address = "127.0.0.1:6379"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
}

redis "cache" {
  address   = "127.0.0.1:6380"
  ephemeral = true
}
